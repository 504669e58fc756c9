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

/// Projects with fewer annotated groups than this, or fewer positives than
/// [`SMALL_PROJECT_POSITIVES`], are small: no recording is set aside for validation or test by
/// chance (they are validated by blocked cross-validation, see [`super::folds`]).
pub const SMALL_PROJECT_GROUPS: usize = 10;
/// See [`SMALL_PROJECT_GROUPS`].
pub const SMALL_PROJECT_POSITIVES: usize = 150;
/// A validation split dealt by chance gets at least this many positives, or none is made.
pub const MIN_VALIDATION_POSITIVES: usize = 10;

/// One window's recording as the split sees it.
#[derive(Debug, Clone)]
pub struct SplitItem<'a> {
    /// The group that must stay on one side (the recording itself when it has none).
    pub group: &'a str,
    pub pinned: Split,
    /// Whether the window is a positive (groups are dealt by their positives).
    pub positive: bool,
}

/// How the groups were dealt.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitOutcome {
    /// The split of each item (never `Split::Auto`).
    pub splits: Vec<Split>,
    /// A small project: every unpinned group trains.
    pub small: bool,
    /// One line for people on what was done and why.
    pub reason: String,
}

/// The split of each item (never `Split::Auto`). Groups with any pinned recording go where the
/// pin says (the first pin wins and the others follow it, so a group is never divided). The
/// rest are dealt by where the positives are, not by their count:
/// - in a small project (fewer than [`SMALL_PROJECT_GROUPS`] groups or
///   [`SMALL_PROJECT_POSITIVES`] positives) every unpinned group trains: setting one recording
///   aside would take a third of the calls from training, and its figures would rest on a
///   handful of calls;
/// - otherwise groups are shuffled with `seed` and those with positives go to validation and
///   test while each holds less than its fraction of the positives (validation needs at least
///   [`MIN_VALIDATION_POSITIVES`]); groups without positives are dealt by count.
#[must_use]
pub fn assign_splits(items: &[SplitItem<'_>], fractions: SplitFractions, seed: u64) -> Vec<Split> {
    plan_splits(items, fractions, seed, true).splits
}

/// [`assign_splits`] with what it decided. Without `small_projects` (multi-class datasets,
/// which cross-validation does not cover yet), every project is dealt as a large one.
#[must_use]
pub fn plan_splits(
    items: &[SplitItem<'_>],
    fractions: SplitFractions,
    seed: u64,
    small_projects: bool,
) -> SplitOutcome {
    let mut pinned_groups: BTreeMap<&str, Split> = BTreeMap::new();
    let mut positives: BTreeMap<&str, usize> = BTreeMap::new();
    for item in items {
        if item.pinned != Split::Auto {
            pinned_groups.entry(item.group).or_insert(item.pinned);
        }
        *positives.entry(item.group).or_default() += usize::from(item.positive);
    }
    let free: BTreeSet<&str> = items
        .iter()
        .map(|item| item.group)
        .filter(|group| !pinned_groups.contains_key(group))
        .collect();
    let mut free: Vec<&str> = free.into_iter().collect();
    free.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let total_positives: usize = positives.values().sum();
    let groups = positives.len();
    let small = small_projects
        && (groups < SMALL_PROJECT_GROUPS || total_positives < SMALL_PROJECT_POSITIVES);
    let mut chosen: BTreeMap<&str, Split> = pinned_groups;
    let reason = if small {
        for group in &free {
            chosen.insert(group, Split::Train);
        }
        format!(
            "{total_positives} positive window(s) in {groups} recording group(s): a small \
             project, so every recording not pinned elsewhere trains"
        )
    } else {
        deal_by_positives(&free, &positives, fractions, &mut chosen)
    };
    SplitOutcome {
        splits: items
            .iter()
            .map(|item| chosen.get(item.group).copied().unwrap_or(Split::Train))
            .collect(),
        small,
        reason,
    }
}

/// Deals `free` groups (already shuffled) of a large project: see [`assign_splits`].
fn deal_by_positives<'a>(
    free: &[&'a str],
    positives: &BTreeMap<&'a str, usize>,
    fractions: SplitFractions,
    chosen: &mut BTreeMap<&'a str, Split>,
) -> String {
    let count = |group: &str| positives.get(group).copied().unwrap_or(0);
    let free_positives: usize = free.iter().map(|g| count(g)).sum();
    let target = |fraction: f64| free_positives as f64 * fraction.clamp(0.0, 0.5);
    let (validation_target, test_target) = (target(fractions.validation), target(fractions.test));
    let (mut validation, mut test) = (0_usize, 0_usize);
    let callers: Vec<&str> = free.iter().copied().filter(|g| count(g) > 0).collect();
    let silent: Vec<&str> = free.iter().copied().filter(|g| count(g) == 0).collect();
    let mut side: BTreeMap<&str, Split> = BTreeMap::new();
    for group in callers {
        let n = count(group);
        // A group goes where it fits under the target (validation first), else it trains.
        let split = if (validation + n) as f64 <= validation_target {
            validation += n;
            Split::Validation
        } else if (test + n) as f64 <= test_target {
            test += n;
            Split::Test
        } else {
            Split::Train
        };
        side.insert(group, split);
    }
    // Too few calls to choose anything by: they train.
    if validation < MIN_VALIDATION_POSITIVES {
        for split in side.values_mut().filter(|s| **s == Split::Validation) {
            *split = Split::Train;
        }
        validation = 0;
    }
    let n = silent.len();
    let round = |fraction: f64| ((n as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
    let n_validation = if validation > 0 {
        round(fractions.validation)
    } else {
        0
    };
    let n_test = if test > 0 { round(fractions.test) } else { 0 };
    for (i, group) in silent.into_iter().enumerate() {
        let split = if i < n_validation {
            Split::Validation
        } else if i < n_validation + n_test {
            Split::Test
        } else {
            Split::Train
        };
        side.insert(group, split);
    }
    chosen.extend(side);
    format!(
        "recordings dealt by their positives: {validation} of {free_positives} positive \
         window(s) to validation, {test} to test, the rest to training"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    /// One item per window: `positives[i]` positive windows in group `groups[i]`, pinned as
    /// `pins[i]` (and one negative window each).
    fn items<'a>(groups: &'a [String], pins: &[Split], positives: &[usize]) -> Vec<SplitItem<'a>> {
        let mut out = Vec::new();
        for ((group, pinned), n) in groups.iter().zip(pins).zip(positives) {
            for k in 0..=*n {
                out.push(SplitItem {
                    group,
                    pinned: *pinned,
                    positive: k < *n,
                });
            }
        }
        out
    }

    fn positives_in(list: &[SplitItem<'_>], splits: &[Split], split: Split) -> usize {
        list.iter()
            .zip(splits)
            .filter(|(item, s)| item.positive && **s == split)
            .count()
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
            let counts: Vec<usize> = (0..n).map(|_| rng.random_range(0..30)).collect();
            let list = items(&groups, &pins, &counts);
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
            // Unpinned, training keeps most of the positives.
            if pins.iter().all(|p| *p == Split::Auto) {
                let total = list.iter().filter(|i| i.positive).count();
                assert!(
                    positives_in(&list, &splits, Split::Train) * 2 >= total,
                    "training got {} of {total} positives",
                    positives_in(&list, &splits, Split::Train)
                );
            }
            assert_eq!(
                splits,
                assign_splits(&list, SplitFractions::default(), case),
                "same seed, same split"
            );
        }
    }

    #[test]
    fn a_small_project_keeps_every_call_for_training() {
        // The right-whale day: 21, 24 and 8 calls and three call-free recordings.
        let groups: Vec<String> = (0..6).map(|i| format!("r{i}")).collect();
        let list = items(&groups, &[Split::Auto; 6], &[21, 24, 8, 0, 0, 0]);
        for seed in 0..20 {
            let outcome = plan_splits(&list, SplitFractions::default(), seed, true);
            assert!(outcome.small);
            assert!(outcome.splits.iter().all(|s| *s == Split::Train));
        }
        // Pins are still kept.
        let mut pins = [Split::Auto; 6];
        pins[2] = Split::Test;
        let list = items(&groups, &pins, &[21, 24, 8, 0, 0, 0]);
        let splits = assign_splits(&list, SplitFractions::default(), 1);
        assert_eq!(positives_in(&list, &splits, Split::Test), 8);
        assert_eq!(positives_in(&list, &splits, Split::Train), 45);
    }

    #[test]
    fn a_large_project_is_dealt_by_its_positives() {
        // Twenty recordings with 10 calls each and one with 300: validation and test get about
        // a fifth of the calls each, never the big recording, and training the rest.
        let groups: Vec<String> = (0..24).map(|i| format!("r{i}")).collect();
        let mut counts = vec![10; 20];
        counts.extend([300, 0, 0, 0]);
        let list = items(&groups, &[Split::Auto; 24], &counts);
        for seed in 0..20 {
            let outcome = plan_splits(&list, SplitFractions::default(), seed, true);
            assert!(!outcome.small);
            let splits = &outcome.splits;
            let (train, validation, test) = (
                positives_in(&list, splits, Split::Train),
                positives_in(&list, splits, Split::Validation),
                positives_in(&list, splits, Split::Test),
            );
            assert_eq!(train + validation + test, 500);
            assert!(
                (MIN_VALIDATION_POSITIVES..=100).contains(&validation),
                "{validation}"
            );
            assert!((10..=100).contains(&test), "{test}");
            assert!(train >= 300);
            let big = list.iter().position(|i| i.group == "r20").unwrap_or(0);
            assert_eq!(splits[big], Split::Train);
        }
        let other_seed = assign_splits(&list, SplitFractions::default(), 2);
        assert_ne!(
            other_seed,
            assign_splits(&list, SplitFractions::default(), 1)
        );
    }

    #[test]
    fn too_few_calls_for_validation_make_none() {
        // 160 positives, but one recording holds nearly all: no group fits validation's share
        // but a 5-call one, too few to choose anything by.
        let groups: Vec<String> = (0..12).map(|i| format!("r{i}")).collect();
        let mut counts = vec![0; 12];
        counts[0] = 155;
        counts[1] = 5;
        let list = items(&groups, &[Split::Auto; 12], &counts);
        let splits = assign_splits(&list, SplitFractions::default(), 4);
        assert_eq!(positives_in(&list, &splits, Split::Validation), 0);
        assert!(!splits.contains(&Split::Validation));
    }
}
