//! Writing files so that a crash, a full disk or a second writer never leaves a half-written
//! file in place: write a temporary file with a name of its own beside the target, flush it to
//! disk, rename it over the target, then flush the folder so the rename itself survives a power
//! cut.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically. On failure the old file (if any) is untouched and the
/// temporary file is removed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// Like [`write_atomically`], with the contents produced by `write` into a buffered file.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = folder_of(path);
    // Unique per save (`.name.XXXXXX.partial`): two processes saving one file at once each
    // write their own temporary file, and the last rename wins whole. The temporary file is
    // removed if anything below fails.
    let (file, temp_path) = temp_file_beside(path)?.into_parts();
    let mut writer = std::io::BufWriter::new(file);
    write(&mut writer)?;
    let file = writer
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    file.sync_all()?;
    drop(file);
    temp_path.persist(path).map_err(|e| e.error)?;
    sync_folder(&dir);
    Ok(())
}

/// A new, empty temporary file beside `path` (`.name.XXXXXX.partial`), removed when dropped
/// unless persisted: for writers that need a path of their own to write to.
pub fn temp_file_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".partial");
    // tempfile makes private (0600) files; a saved file keeps the permissions of the one it
    // replaces, and a new one gets what `File::create` gives (0666 less the umask), so a
    // project shared with a group stays readable by it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o666, |m| m.permissions().mode() & 0o7777);
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    builder.tempfile_in(folder_of(path))
}

/// Removes the temporary files that saves of `path` left when they were killed before their
/// rename (`.name.XXXXXX.partial`), those last written at least `older_than` ago (`None`: all,
/// for a caller that knows no save of `path` is running, such as the holder of its lock). A
/// save in progress keeps writing its file, so an age rules it out.
pub fn remove_stale_temp_files(path: &Path, older_than: Option<std::time::Duration>) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(folder_of(path)) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if !(file_name.starts_with(&prefix) && file_name.ends_with(".partial")) {
            continue;
        }
        let stale = older_than.is_none_or(|age| {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|elapsed| elapsed >= age))
        });
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The folder `path` is in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// Flushes a folder's entries (a rename into it) to disk. Best effort: where folders cannot be
/// opened or synced (Windows), the rename is already as durable as the platform makes it.
pub fn sync_folder(dir: &Path) {
    #[cfg(unix)]
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("table.txt");
        write_atomically(&path, b"first").unwrap();
        let failed = write_atomically_with(&path, |file| {
            file.write_all(b"half of the sec")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
    }

    #[test]
    fn writers_at_once_each_leave_a_whole_file() {
        // With one fixed temporary name, concurrent writers truncated and interleaved each
        // other's bytes before the rename.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("project.json");
        let contents: Vec<Vec<u8>> = (0..8_u8).map(|i| vec![b'a' + i; 200_000]).collect();
        std::thread::scope(|scope| {
            for bytes in &contents {
                let path = &path;
                scope.spawn(move || {
                    for _ in 0..5 {
                        write_atomically(path, bytes).unwrap();
                    }
                });
            }
        });
        let written = std::fs::read(&path).unwrap();
        assert!(contents.contains(&written), "a mix of writers' bytes");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_saved_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.syrinx");
        write_atomically(&path, b"first").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // Not the private 0600 of a temporary file.
        assert_ne!(mode(&path), 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(mode(&path), 0o640);
    }
}
