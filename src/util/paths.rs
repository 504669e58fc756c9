//! Names that tell files apart: recorders name files by their start time (AudioMoth
//! `20240518_052000.WAV`), so two sites' cards hold files of the same name, and a table or a
//! summary named by the file alone would mix them up or overwrite one with the other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

/// Which part of a path names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// `20240518_052000.WAV`: how summaries name a recording.
    FileName,
    /// `20240518_052000`: what per-recording tables are named after (`a.wav` and `a.flac`
    /// would share one).
    FileStem,
}

/// For each of `paths`, its leaf, prefixed (joined by `separator`) with as many of its parent
/// folders' names as tell it apart from the other paths of the list with the same leaf:
/// `north/20240518_052000.WAV` beside `south/20240518_052000.WAV`, and a plain
/// `20240518_052000.WAV` where it is the only one. The names returned are distinct (a numbered
/// suffix as the last resort, say when a prefixed name equals another file's own name).
#[must_use]
pub fn distinct_leaves(paths: &[&Path], leaf: Leaf, separator: &str) -> Vec<String> {
    let parts: Vec<Vec<String>> = paths.iter().map(|p| parts_of(p, leaf)).collect();
    let mut sharing: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, parts) in parts.iter().enumerate() {
        let last = parts.last().map_or("", String::as_str);
        sharing.entry(last).or_default().push(index);
    }
    let mut names = vec![String::new(); paths.len()];
    for indices in sharing.values() {
        let deepest = indices.iter().map(|&i| parts[i].len()).max().unwrap_or(1);
        // The fewest trailing parts that tell the group apart (all of them at worst).
        let depth = (1..=deepest)
            .find(|&depth| {
                let suffixes: BTreeSet<Vec<&String>> = indices
                    .iter()
                    .map(|&i| parts[i].iter().rev().take(depth).collect())
                    .collect();
                suffixes.len() == indices.len()
            })
            .unwrap_or(deepest);
        for &index in indices {
            let taken = parts[index].len().min(depth);
            names[index] = parts[index][parts[index].len() - taken..].join(separator);
        }
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for name in &mut names {
        let mut candidate = name.clone();
        let mut number = 2;
        while !seen.insert(candidate.clone()) {
            candidate = format!("{name}{separator}{number}");
            number += 1;
        }
        *name = candidate;
    }
    names
}

/// The folder names of `path` and its leaf, in order (`..`, roots and drive prefixes left out).
fn parts_of(path: &Path, leaf: Leaf) -> Vec<String> {
    let mut parts: Vec<String> = path
        .parent()
        .map(|parent| {
            parent
                .components()
                .filter_map(|c| match c {
                    Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let last = match leaf {
        Leaf::FileName => path.file_name(),
        Leaf::FileStem => path.file_stem(),
    };
    parts.push(last.map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    ));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: &[&str], leaf: Leaf, separator: &str) -> Vec<String> {
        let paths: Vec<&Path> = paths.iter().map(Path::new).collect();
        distinct_leaves(&paths, leaf, separator)
    }

    #[test]
    fn a_unique_name_stays_and_shared_ones_take_their_folders() {
        assert_eq!(
            names(
                &[
                    "/cards/north/20240518_052000.WAV",
                    "/cards/south/20240518_052000.WAV",
                    "/cards/south/20240518_062000.WAV",
                ],
                Leaf::FileName,
                "/"
            ),
            [
                "north/20240518_052000.WAV",
                "south/20240518_052000.WAV",
                "20240518_062000.WAV"
            ]
        );
        // As deep as needed: the folders' own names are alike.
        assert_eq!(
            names(
                &["/a/site1/day1/x.wav", "/a/site2/day1/x.wav", "/a/y.wav"],
                Leaf::FileStem,
                "_"
            ),
            ["site1_day1_x", "site2_day1_x", "y"]
        );
    }

    #[test]
    fn stems_shared_by_two_formats_are_told_apart_and_names_never_repeat() {
        // One folder, one stem: nothing above tells them apart, so a number does.
        assert_eq!(
            names(&["/d/a.wav", "/d/a.flac"], Leaf::FileStem, "_"),
            ["d_a", "d_a_2"]
        );
        assert_eq!(
            names(&["/d/a.wav", "/d/a.flac"], Leaf::FileName, "/"),
            ["a.wav", "a.flac"]
        );
        // A prefixed name equal to another file's own name.
        assert_eq!(
            names(&["/n/x.wav", "/s/x.wav", "/t/n_x.wav"], Leaf::FileStem, "_"),
            ["n_x", "s_x", "n_x_2"]
        );
        assert!(names(&[], Leaf::FileName, "/").is_empty());
    }
}
