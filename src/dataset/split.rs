//! Splits by recording (or by the user's group), seeded and repeatable, with pinned recordings
//! kept where the user put them. Windows never decide their own split: a recording's windows all
//! go where the recording goes.

use std::collections::{BTreeMap, BTreeSet};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::project::Split;

/// Fractions of the unpinned groups that go to validation and test (the rest trains).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SplitFractions {
    pub validation: f64,
    pub test: f64,
}

impl Default for SplitFractions {
    fn default() -> Self {
        Self {
            validation: 0.2,
            test: 0.2,
        }
    }
}

/// One recording as the split sees it.
#[derive(Debug, Clone)]
pub struct SplitItem<'a> {
    /// The group that must stay on one side (the recording itself when it has none).
    pub group: &'a str,
    pub pinned: Split,
}

/// The split of each item (never `Split::Auto`). Groups with any pinned recording go where the
/// pin says (the first pin wins and the others follow it, so a group is never divided); the
/// rest are shuffled with `seed` and dealt out by `fractions`, with at least one group for
/// validation when there are two or more groups to deal and none is pinned there.
#[must_use]
pub fn assign_splits(items: &[SplitItem<'_>], fractions: SplitFractions, seed: u64) -> Vec<Split> {
    let mut pinned_groups: BTreeMap<&str, Split> = BTreeMap::new();
    for item in items {
        if item.pinned != Split::Auto {
            pinned_groups.entry(item.group).or_insert(item.pinned);
        }
    }
    let free: BTreeSet<&str> = items
        .iter()
        .map(|item| item.group)
        .filter(|group| !pinned_groups.contains_key(group))
        .collect();
    let mut free: Vec<&str> = free.into_iter().collect();
    free.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n = free.len();
    let round = |fraction: f64| ((n as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
    let mut n_validation = round(fractions.validation);
    let mut n_test = round(fractions.test);
    let validation_pinned = pinned_groups.values().any(|s| *s == Split::Validation);
    if n >= 2 && n_validation == 0 && !validation_pinned && fractions.validation > 0.0 {
        n_validation = 1;
    }
    // Keep at least one group for training.
    while n_validation + n_test >= n && n > 0 && (n_validation + n_test) > 0 {
        if n_test > 0 {
            n_test -= 1;
        } else {
            n_validation -= 1;
        }
    }
    let mut chosen: BTreeMap<&str, Split> = pinned_groups;
    for (i, group) in free.into_iter().enumerate() {
        let split = if i < n_validation {
            Split::Validation
        } else if i < n_validation + n_test {
            Split::Test
        } else {
            Split::Train
        };
        chosen.insert(group, split);
    }
    items
        .iter()
        .map(|item| chosen.get(item.group).copied().unwrap_or(Split::Train))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn items<'a>(groups: &'a [String], pins: &[Split]) -> Vec<SplitItem<'a>> {
        groups
            .iter()
            .zip(pins)
            .map(|(group, pinned)| SplitItem {
                group,
                pinned: *pinned,
            })
            .collect()
    }

    #[test]
    fn no_group_is_ever_on_two_sides_and_pins_are_kept() {
        // Property test over random projects: many recordings, few groups, random pins.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for case in 0..300 {
            let n = rng.random_range(1..40);
            let n_groups = rng.random_range(1..=n);
            let groups: Vec<String> = (0..n)
                .map(|_| format!("g{}", rng.random_range(0..n_groups)))
                .collect();
            let pins: Vec<Split> = (0..n)
                .map(|_| match rng.random_range(0..10) {
                    0 => Split::Train,
                    1 => Split::Validation,
                    2 => Split::Test,
                    _ => Split::Auto,
                })
                .collect();
            let list = items(&groups, &pins);
            let splits = assign_splits(&list, SplitFractions::default(), case);
            let mut side: BTreeMap<&str, Split> = BTreeMap::new();
            for (item, split) in list.iter().zip(&splits) {
                assert_ne!(*split, Split::Auto);
                let first = *side.entry(item.group).or_insert(*split);
                assert_eq!(first, *split, "group {} split across sides", item.group);
            }
            // A pinned recording whose group has no other pin is where the user put it.
            for (item, split) in list.iter().zip(&splits) {
                let pins_in_group: BTreeSet<&str> = list
                    .iter()
                    .filter(|other| other.group == item.group && other.pinned != Split::Auto)
                    .map(|other| other.pinned.name())
                    .collect();
                if pins_in_group.len() == 1 && item.pinned != Split::Auto {
                    assert_eq!(*split, item.pinned);
                }
            }
            assert_eq!(
                splits,
                assign_splits(&list, SplitFractions::default(), case),
                "same seed, same split"
            );
        }
    }

    #[test]
    fn fractions_deal_groups_and_keep_training_data() {
        let groups: Vec<String> = (0..10).map(|i| format!("r{i}")).collect();
        let splits = assign_splits(
            &items(&groups, &[Split::Auto; 10]),
            SplitFractions::default(),
            1,
        );
        let count = |s: Split| splits.iter().filter(|x| **x == s).count();
        assert_eq!(
            (
                count(Split::Train),
                count(Split::Validation),
                count(Split::Test)
            ),
            (6, 2, 2)
        );
        let two: Vec<String> = vec!["a".into(), "b".into()];
        let splits = assign_splits(
            &items(&two, &[Split::Auto; 2]),
            SplitFractions::default(),
            3,
        );
        assert!(splits.contains(&Split::Train) && splits.contains(&Split::Validation));
        let other_seed = assign_splits(
            &items(&groups, &[Split::Auto; 10]),
            SplitFractions::default(),
            2,
        );
        assert_ne!(splits.len(), 0);
        assert_ne!(
            other_seed,
            assign_splits(
                &items(&groups, &[Split::Auto; 10]),
                SplitFractions::default(),
                1
            )
        );
    }
}
