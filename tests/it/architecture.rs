//! The module map holds: `src/lib.rs` lists the modules in the order data flows through them,
//! and no module's code uses one listed after it, so there are no module cycles.

use std::collections::BTreeSet;
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
