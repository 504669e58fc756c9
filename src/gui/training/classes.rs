//! Which labels a training run makes classes of: one recogniser for every positive (the
//! default), or one output per ticked label.

/// Which labels training makes classes of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassChoice {
    /// The project's Positive labels with their selections, in name order.
    pub labels: Vec<(String, usize)>,
    /// One output per ticked label (a multi-class model); else every positive is one class.
    pub multi_class: bool,
    /// The labels ticked as classes.
    pub ticked: std::collections::BTreeSet<String>,
    /// Also learn an explicit noise class from the negatives.
    pub noise_class: bool,
    /// Labels seen so far: a label new to the project is ticked when it has enough examples,
    /// while the user's own ticks are kept.
    seen: std::collections::BTreeSet<String>,
}

impl ClassChoice {
    /// Follows the project's labels: keeps the user's ticks, ticks new labels with at least
    /// [`crate::train::MIN_CLASS_EXAMPLES`] selections, and drops labels that are gone.
    pub fn update(&mut self, labels: Vec<(String, usize)>) {
        for (label, n) in &labels {
            if self.seen.insert(label.clone()) && *n >= crate::train::MIN_CLASS_EXAMPLES {
                self.ticked.insert(label.clone());
            }
        }
        self.ticked
            .retain(|label| labels.iter().any(|(l, _)| l == label));
        self.labels = labels;
    }

    /// The classes training will use, in name order: the ticked labels of a multi-class
    /// choice; none (a single-class model) otherwise.
    #[must_use]
    pub fn classes(&self) -> Vec<String> {
        if !self.multi_class {
            return Vec::new();
        }
        self.labels
            .iter()
            .filter(|(label, _)| self.ticked.contains(label))
            .map(|(label, _)| label.clone())
            .collect()
    }

    /// Why training cannot start with this choice, if it cannot.
    #[must_use]
    pub fn problem(&self) -> Option<super::TrainingFailed> {
        (self.multi_class && crate::train::too_few_classes(&self.classes()))
            .then_some(super::TrainingFailed::TooFewClasses)
    }
}

#[cfg(test)]
mod tests {
    use super::ClassChoice;

    fn labels(counts: &[(&str, usize)]) -> Vec<(String, usize)> {
        counts.iter().map(|(l, n)| ((*l).to_owned(), *n)).collect()
    }

    #[test]
    fn new_labels_with_enough_examples_are_ticked_and_the_users_ticks_are_kept() {
        let mut choice = ClassChoice::default();
        choice.update(labels(&[("a", 5), ("b", 1), ("c", 3)]));
        assert_eq!(choice.ticked.iter().collect::<Vec<_>>(), ["a", "c"]);
        // Single-class until asked.
        assert!(choice.classes().is_empty());
        assert!(choice.problem().is_none());
        choice.multi_class = true;
        assert_eq!(choice.classes(), ["a", "c"]);
        // The user unticks "c"; "b" grows past the minimum: neither is overruled, and a new
        // label "d" is ticked.
        choice.ticked.remove("c");
        choice.update(labels(&[("a", 5), ("b", 4), ("c", 3), ("d", 3)]));
        assert_eq!(choice.classes(), ["a", "d"]);
        // A label that is gone is no class.
        choice.update(labels(&[("a", 5), ("b", 4), ("c", 3)]));
        assert_eq!(choice.classes(), ["a"]);
        assert!(choice.problem().is_some());
    }
}
