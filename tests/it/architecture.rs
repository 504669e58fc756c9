//! The module map holds: `src/lib.rs` lists the modules in the order data flows through them,
//! and no module's code uses one listed after it, so there are no module cycles; inside each
//! folder, no two files use each other either (directly or round a longer loop).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules `src/lib.rs` declares, in order.
fn declared_modules(src: &Path) -> Vec<String> {
    std::fs::read_to_string(src.join("lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))?;
            Some(rest.trim_end_matches(';').to_owned())
        })
        .collect()
}

fn files_of(path: &Path, files: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            files_of(&entry.unwrap().path(), files);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        files.push(path.to_path_buf());
    }
}

/// The top-level modules the code of `module` names as `crate::<name>` (comments and test
/// modules left out: a doc link or a test is not a dependency).
fn uses(src: &Path, module: &str, all: &[String]) -> BTreeSet<String> {
    let mut files = Vec::new();
    files_of(&src.join(format!("{module}.rs")), &mut files);
    files_of(&src.join(module), &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            // `crate::name` and `use crate::{a::…, b::…}`.
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                    group
                        .split([',', '}'])
                        .map(|part| part.trim().split("::").next().unwrap_or_default())
                        .collect()
                } else {
                    vec![
                        rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .next()
                            .unwrap_or_default(),
                    ]
                };
                for name in names {
                    if name != module && all.iter().any(|m| m == name) {
                        found.insert(name.to_owned());
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_module_uses_one_listed_after_it_in_lib_rs() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = declared_modules(&src);
    assert!(modules.len() > 20, "{modules:?}");
    let mut backwards = Vec::new();
    for (index, module) in modules.iter().enumerate() {
        for used in uses(&src, module, &modules) {
            let position = modules.iter().position(|m| *m == used).unwrap();
            if position > index {
                backwards.push(format!("{module} uses {used}"));
            }
        }
    }
    assert!(
        backwards.is_empty(),
        "modules that use one listed after them (a cycle, or lib.rs out of order): {backwards:?}"
    );
}

/// Code of a file without its comments and test module (a doc link or a test is not a
/// dependency).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let code = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    code.lines()
        .filter(|l| {
            let l = l.trim_start();
            !l.starts_with("//")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a parent file (`mod.rs`, or `name.rs` beside the folder `name/`) declares.
fn declared_in(parent: &str) -> Vec<String> {
    parent
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("pub(crate) mod "))
                .or_else(|| line.strip_prefix("pub(super) mod "))
                .or_else(|| line.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// Names a parent file re-exports from each of its modules (`pub use child::{A, B}`).
fn reexports(parent: &str, children: &[String]) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let flat = parent.replace('\n', " ");
    for statement in flat.split(';') {
        let statement = statement.trim();
        let Some(rest) = statement
            .strip_prefix("pub use ")
            .or_else(|| statement.strip_prefix("pub(crate) use "))
            .or_else(|| statement.strip_prefix("use "))
        else {
            continue;
        };
        let rest = rest.trim().trim_start_matches("self::");
        let Some((child, items)) = rest.split_once("::") else {
            continue;
        };
        if !children.iter().any(|c| c == child) {
            continue;
        }
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.trim();
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            let name = name.rsplit("::").next().unwrap_or(name);
            if !name.is_empty() {
                names.insert(name.to_owned(), child.to_owned());
            }
        }
    }
    names
}

/// The first path segment after each `prefix` in `code`, with the items of a `{…}` group.
fn segments_after(code: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name = part.trim().split("::").next().unwrap_or_default().trim();
                found.push(name.to_owned());
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

/// Cycles between the files (modules) of each folder under `src`: `(folder, modules in a loop)`.
fn cycles_inside_folders(src: &Path) -> Vec<(String, Vec<String>)> {
    let mut folders = Vec::new();
    collect_folders(src, src, &mut folders);
    let mut cycles = Vec::new();
    for (folder, crate_path) in folders {
        let parent_file = if folder.join("mod.rs").is_file() {
            folder.join("mod.rs")
        } else if folder == src {
            src.join("lib.rs")
        } else {
            folder.with_extension("rs")
        };
        let Ok(parent) = std::fs::read_to_string(&parent_file) else {
            continue;
        };
        let children = declared_in(&parent);
        let exported = reexports(&parent, &children);
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for child in &children {
            let mut files = Vec::new();
            files_of(&folder.join(format!("{child}.rs")), &mut files);
            files_of(&folder.join(child), &mut files);
            let mut used = BTreeSet::new();
            for file in files {
                let code = code_of(&file);
                // A file of the folder names siblings as `super::x` (only when it sits directly
                // in the folder) or by their crate path.
                let direct = file.parent() == Some(folder.as_path())
                    || (file.file_name().is_some_and(|n| n == "mod.rs")
                        && file.parent().and_then(Path::parent) == Some(folder.as_path()));
                let mut names = segments_after(&code, &format!("{crate_path}::"));
                if direct {
                    names.extend(segments_after(&code, "super::"));
                }
                for name in names {
                    let target = if children.contains(&name) {
                        Some(name)
                    } else {
                        exported.get(&name).cloned()
                    };
                    if let Some(target) = target.filter(|t| t != child) {
                        used.insert(target);
                    }
                }
            }
            edges.insert(child.clone(), used);
        }
        for cycle in find_cycles(&edges) {
            cycles.push((crate_path.clone(), cycle));
        }
    }
    cycles
}

/// Every folder under `dir` with the crate path of its module (`crate::dsp`).
fn collect_folders(src: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let relative = dir.strip_prefix(src).unwrap();
    let mut crate_path = String::from("crate");
    for part in relative.components() {
        crate_path.push_str("::");
        crate_path.push_str(&part.as_os_str().to_string_lossy());
    }
    out.push((dir.to_path_buf(), crate_path));
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for entry in entries {
        collect_folders(src, &entry, out);
    }
}

/// The strongly connected groups of more than one module: each is a cycle.
fn find_cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reaches = |from: &String, to: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(at) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == to {
                    return true;
                }
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        false
    };
    let mut cycles: Vec<Vec<String>> = Vec::new();
    for module in edges.keys() {
        if cycles.iter().any(|c| c.contains(module)) {
            continue;
        }
        let group: Vec<String> = edges
            .keys()
            .filter(|other| *other == module || (reaches(module, other) && reaches(other, module)))
            .cloned()
            .collect();
        if group.len() > 1 {
            cycles.push(group);
        }
    }
    cycles
}

#[test]
fn no_two_files_of_a_folder_use_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let cycles = cycles_inside_folders(&src);
    assert!(
        cycles.is_empty(),
        "modules of one folder that use each other (move what both need into one of them): {cycles:?}"
    );
}

#[test]
fn a_cycle_planted_between_two_files_of_a_folder_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let folder = src.join("stage");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod stage;\n").unwrap();
    std::fs::write(
        folder.join("mod.rs"),
        "mod first;\nmod second;\nmod third;\npub use second::Thing;\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("first.rs"),
        "use super::Thing;\npub struct Other;\n",
    )
    .unwrap();
    std::fs::write(folder.join("third.rs"), "use super::first::Other;\n").unwrap();
    // No loop yet: first uses second (through the re-export), third uses first.
    std::fs::write(folder.join("second.rs"), "pub struct Thing;\n").unwrap();
    assert!(cycles_inside_folders(&src).is_empty());
    // second now uses third by its crate path: first → second → third → first.
    std::fs::write(
        folder.join("second.rs"),
        "pub struct Thing(crate::stage::third::Unit);\n// super::first in a comment is no use\n",
    )
    .unwrap();
    let cycles = cycles_inside_folders(&src);
    assert_eq!(
        cycles,
        vec![(
            "crate::stage".to_owned(),
            vec!["first".to_owned(), "second".to_owned(), "third".to_owned()]
        )]
    );
}

/// Files under `src/` (relative, with `/`) whose code (comments and test modules left out)
/// contains `needle`.
fn files_whose_code_has(needle: &str) -> BTreeSet<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    files_of(&src, &mut files);
    files
        .into_iter()
        .filter(|file| code_of(file).contains(needle))
        .map(|file| {
            file.strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// The window's features own their handlers (functions of their panel state and the
/// workbench): only the shell's four files implement `SyrinxApp`.
#[test]
fn only_the_shell_implements_the_app() {
    let shell: BTreeSet<String> = ["mod.rs", "lifecycle.rs", "layout.rs", "routing.rs"]
        .iter()
        .map(|f| format!("gui/app/{f}"))
        .collect();
    let implementing = files_whose_code_has("impl SyrinxApp");
    assert!(
        implementing.is_subset(&shell),
        "handlers belong beside their feature's panel, not on the app: {:?}",
        implementing.difference(&shell).collect::<Vec<_>>()
    );
}

/// Names come in by name: no file imports everything of its parent outside tests.
#[test]
fn no_glob_import_of_a_parent_outside_tests() {
    assert_eq!(
        files_whose_code_has("use super::*"),
        BTreeSet::new(),
        "import the names used (a glob hides where a name comes from)"
    );
}
