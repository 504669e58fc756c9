//! The selections of a project and undoable edits of them. Every change goes through an [`Edit`]
//! so that undo and redo (imports included, as one step) are exact.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{ProjectRecordingId, Selection, SelectionId};

/// All selections of a project, ordered by recording, then start time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "StoredSelections")]
pub struct SelectionSet {
    items: Vec<Selection>,
    next_id: u64,
    /// Bumped by every change (not saved): lets views cache what they derive.
    #[serde(skip)]
    version: u64,
    /// Where each id is in `items` (not saved): lookups and edits of tens of thousands of
    /// selections stay linear, not quadratic.
    #[serde(skip)]
    positions: HashMap<SelectionId, usize>,
}

/// The saved form of a [`SelectionSet`].
#[derive(Deserialize)]
struct StoredSelections {
    #[serde(default)]
    items: Vec<Selection>,
    #[serde(default)]
    next_id: u64,
}

impl From<StoredSelections> for SelectionSet {
    fn from(stored: StoredSelections) -> Self {
        let mut set = Self::from_items(stored.items);
        set.next_id = set.next_id.max(stored.next_id);
        set
    }
}

impl PartialEq for SelectionSet {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items && self.next_id == other.next_id
    }
}

impl SelectionSet {
    /// A set holding `items` (ids must be unique; later ids continue after the largest).
    #[must_use]
    pub fn from_items(mut items: Vec<Selection>) -> Self {
        let next_id = items.iter().map(|s| s.id.0 + 1).max().unwrap_or(0);
        sort(&mut items);
        let mut set = Self {
            items,
            next_id,
            version: 0,
            positions: HashMap::new(),
        };
        set.reindex();
        set
    }

    fn reindex(&mut self) {
        self.positions = self
            .items
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
    }

    /// Changes with every edit.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The id [`new_id`](Self::new_id) would give next (inserting a selection with it, or a
    /// run of consecutive ids from it, moves the next one past them).
    #[must_use]
    pub fn next_free_id(&self) -> SelectionId {
        SelectionId(self.next_id)
    }

    /// A fresh id for a new selection.
    pub fn new_id(&mut self) -> SelectionId {
        let id = SelectionId(self.next_id);
        self.next_id += 1;
        id
    }

    #[must_use]
    pub fn items(&self) -> &[Selection] {
        &self.items
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[must_use]
    pub fn get(&self, id: SelectionId) -> Option<&Selection> {
        self.positions.get(&id).map(|i| &self.items[*i])
    }

    /// The selections of one recording, in time order.
    pub fn of_recording(&self, recording: ProjectRecordingId) -> impl Iterator<Item = &Selection> {
        self.items.iter().filter(move |s| s.recording == recording)
    }

    pub(crate) fn apply(&mut self, edit: &Edit) {
        match edit {
            Edit::Insert(selections) => {
                for selection in selections {
                    self.next_id = self.next_id.max(selection.id.0 + 1);
                    self.items.push(selection.clone());
                }
            }
            Edit::Delete(selections) => {
                let doomed: HashSet<SelectionId> = selections.iter().map(|s| s.id).collect();
                self.items.retain(|s| !doomed.contains(&s.id));
            }
            Edit::Update { after, .. } => {
                for new in after {
                    if let Some(&i) = self.positions.get(&new.id) {
                        self.items[i] = new.clone();
                    }
                }
            }
        }
        sort(&mut self.items);
        self.reindex();
        self.version += 1;
    }
}

fn sort(items: &mut [Selection]) {
    items.sort_by(|a, b| {
        a.recording
            .cmp(&b.recording)
            .then(a.start_secs.total_cmp(&b.start_secs))
            .then(a.end_secs.total_cmp(&b.end_secs))
            .then(a.id.cmp(&b.id))
    });
}

/// One undoable change.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    Insert(Vec<Selection>),
    Delete(Vec<Selection>),
    /// The same selections before and after (same ids, same order).
    Update {
        before: Vec<Selection>,
        after: Vec<Selection>,
    },
}

impl Edit {
    #[must_use]
    pub fn inverse(&self) -> Self {
        match self {
            Self::Insert(s) => Self::Delete(s.clone()),
            Self::Delete(s) => Self::Insert(s.clone()),
            Self::Update { before, after } => Self::Update {
                before: after.clone(),
                after: before.clone(),
            },
        }
    }

    /// An update of `selections` by `change` (unchanged ones are left out).
    pub fn update(selections: &[&Selection], mut change: impl FnMut(&mut Selection)) -> Self {
        let mut before = Vec::new();
        let mut after = Vec::new();
        for selection in selections {
            let mut new = (*selection).clone();
            change(&mut new);
            if new != **selection {
                before.push((*selection).clone());
                after.push(new);
            }
        }
        Self::Update { before, after }
    }

    /// Whether applying it would change nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Insert(s) | Self::Delete(s) => s.is_empty(),
            Self::Update { after, .. } => after.is_empty(),
        }
    }
}
