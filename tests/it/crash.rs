//! Crash safety of project saves, with a real process killed (SIGKILL) while it writes: the
//! project on disk is always the one before the save or the one after, never a mixture, and
//! the next save cleans up what the killed one left.

use std::path::Path;
use std::process::{Command, Stdio};

use syrinx::audio::{WavEncoding, write_wav};
use syrinx::bench::write_large_project;
use syrinx::project::Project;
use syrinx::synth::FieldSynth;

/// Kills tried before giving up on catching one mid-save (each costs one process start).
const MAX_ATTEMPTS: usize = 40;

fn short_wav(path: &Path) {
    write_wav(
        path,
        &FieldSynth::new(8_000, 3).take(8_000),
        8_000,
        WavEncoding::Pcm16,
    )
    .unwrap();
}

#[test]
fn killing_the_process_in_the_middle_of_a_save_leaves_a_loadable_project() {
    let dir = tempfile::tempdir().unwrap();
    // Big enough (30,000 selections, several MB of JSON) that writing it takes a while.
    let project_path = write_large_project(dir.path(), 3, 60.0, 30_000).unwrap();
    let before = Project::load(&project_path).unwrap().0;
    // Each save writes a temporary file of its own (`.large.syrinx.XXXXXX.partial`).
    let partials = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with(".large.syrinx.") && name.ends_with(".partial")
            })
            .collect()
    };
    let mut caught_mid_save = 0;
    let mut on_disk = before.recordings.len();
    for attempt in 0..MAX_ATTEMPTS {
        let extra = dir.path().join(format!("extra_{attempt}.wav"));
        short_wav(&extra);
        // A leftover of the last killed save would look like this one starting.
        for leftover in partials() {
            let _ = std::fs::remove_file(leftover);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_syrinx"))
            .args(["project", "add"])
            .arg(&project_path)
            .arg(&extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the save to begin (its temporary file appears), then kill at once.
        let killed_mid_save = loop {
            if !partials().is_empty() {
                child.kill().unwrap();
                break true;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            std::thread::yield_now();
        };
        child.wait().unwrap();
        let (loaded, _) = Project::load(&project_path)
            .unwrap_or_else(|e| panic!("attempt {attempt}: the project no longer loads: {e}"));
        assert_eq!(
            loaded.selections, before.selections,
            "attempt {attempt}: selections changed"
        );
        let added = loaded.recordings.iter().any(|r| r.path == extra);
        // Either the save finished (the one new recording is there) or the old file stands.
        assert_eq!(
            loaded.recordings.len(),
            on_disk + usize::from(added),
            "attempt {attempt}: recordings are neither the old nor the new list"
        );
        on_disk = loaded.recordings.len();
        if killed_mid_save && !added {
            caught_mid_save += 1;
            if caught_mid_save >= 3 {
                break;
            }
        }
    }
    assert!(
        caught_mid_save >= 1,
        "no kill landed between the start of a save and its rename in {MAX_ATTEMPTS} attempts"
    );
    // The next save under the project's lock succeeds and removes what killed saves left.
    syrinx::project::lock::edit(
        &project_path,
        "test",
        syrinx::project::lock::Wait::Forever,
        false,
        |project, _| {
            project.recordings[0].fully_annotated = true;
            Ok::<_, syrinx::project::ProjectError>(())
        },
    )
    .unwrap();
    assert!(partials().is_empty(), "no temporary file is left");
    assert!(Project::load(&project_path).unwrap().0.recordings[0].fully_annotated);
}
