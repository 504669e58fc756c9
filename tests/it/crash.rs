//! Crash safety of project saves, with a real process killed (SIGKILL) while it writes: the
//! project on disk is always the one before the save or the one after, never a mixture, and
//! the next save cleans up what the killed one left.

use std::path::Path;
use std::process::{Command, Stdio};

use syrinx::audio::{WavEncoding, write_wav};
use syrinx::bench::write_large_project;
use syrinx::project::Project;
use syrinx::util::synth::FieldSynth;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Kills that must land (a writer still running when killed).
const KILLS: usize = 200;

fn short_wav(path: &Path) {
    write_wav(
        path,
        &FieldSynth::new(8_000, 3).take(8_000),
        8_000,
        WavEncoding::Pcm16,
    )
    .unwrap();
}

fn add(project: &Path, audio: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(["project", "add"])
        .arg(project)
        .arg(audio)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn killing_the_process_in_the_middle_of_a_save_leaves_a_loadable_project() {
    let dir = tempfile::tempdir().unwrap();
    // Big enough (10,000 selections, about 2 MB of JSON) that writing it takes a while.
    let project_path = write_large_project(dir.path(), 3, 60.0, 10_000).unwrap();
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
    // How long one whole add takes: kills land at random points within it.
    let first = dir.path().join("extra_first.wav");
    short_wav(&first);
    let started = std::time::Instant::now();
    assert!(add(&project_path, &first).wait().unwrap().success());
    let whole_micros = started.elapsed().as_micros() as u64;
    let mut on_disk = before.recordings.len() + 1;
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let (mut kills, mut mid_save) = (0, 0);
    for attempt in 0..KILLS * 3 {
        let extra = dir.path().join(format!("extra_{attempt}.wav"));
        short_wav(&extra);
        let kill_after = std::time::Duration::from_micros(rng.random_range(0..whole_micros));
        let mut child = add(&project_path, &extra);
        let spawned = std::time::Instant::now();
        let killed_while_saving = loop {
            if child.try_wait().unwrap().is_some() {
                break None;
            }
            if spawned.elapsed() >= kill_after {
                let saving = !partials().is_empty();
                child.kill().unwrap();
                break Some(saving);
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        };
        child.wait().unwrap();
        let (loaded, _) = Project::load(&project_path)
            .unwrap_or_else(|e| panic!("attempt {attempt}: the project no longer loads: {e}"));
        assert_eq!(
            loaded.selections, before.selections,
            "attempt {attempt}: selections changed"
        );
        let added = loaded.recordings.iter().any(|r| r.path == extra);
        // Either the save finished (the one new recording is there) or the old file stands:
        // at most this last edit is lost.
        assert_eq!(
            loaded.recordings.len(),
            on_disk + usize::from(added),
            "attempt {attempt}: recordings are neither the old nor the new list"
        );
        on_disk = loaded.recordings.len();
        if let Some(saving) = killed_while_saving {
            kills += 1;
            mid_save += usize::from(saving && !added);
            if kills == KILLS {
                break;
            }
        }
    }
    eprintln!("{kills} kills, {mid_save} between the start of a save and its rename");
    assert_eq!(
        kills, KILLS,
        "too few kills landed before the writer finished"
    );
    assert!(
        mid_save >= 3,
        "only {mid_save} of {KILLS} kills landed between the start of a save and its rename"
    );
    // The next save under the project's lock succeeds and removes what killed saves left.
    syrinx::session::lock::edit(
        &project_path,
        "test",
        syrinx::session::lock::Wait::Forever,
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
