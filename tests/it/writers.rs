//! Several writers on one project: command-line processes at once, and a damaged project brought
//! back from its kept versions. Real processes, as users start them from a shell loop.

use std::path::{Path, PathBuf};
use std::process::Command;

use syrinx::audio::{WavEncoding, write_wav};
use syrinx::project::Project;
use syrinx::util::synth::FieldSynth;

const WRITERS: usize = 8;
const ADDS_PER_WRITER: usize = 25;

fn short_wav(path: &Path, seed: u64) {
    write_wav(
        path,
        &FieldSynth::new(8_000, seed).take(4_000),
        8_000,
        WavEncoding::Pcm16,
    )
    .unwrap();
}

fn syrinx(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn writers_at_once_each_land_or_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shared.syrinx");
    // Made by the first writer to get the lock: `project add` creates a missing project.
    let files: Vec<Vec<PathBuf>> = (0..WRITERS)
        .map(|w| {
            (0..ADDS_PER_WRITER)
                .map(|i| {
                    let path = dir.path().join(format!("w{w}_{i:02}.wav"));
                    short_wav(&path, (w * 100 + i) as u64);
                    path
                })
                .collect()
        })
        .collect();
    // Each writer adds its files one process at a time; the writers run at once.
    let outcomes: Vec<(PathBuf, bool, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|mine| {
                let project = &project;
                scope.spawn(move || {
                    mine.iter()
                        .map(|file| {
                            let output = syrinx(&[
                                "project".as_ref(),
                                "add".as_ref(),
                                project.as_os_str(),
                                file.as_os_str(),
                            ]);
                            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                            (file.clone(), output.status.success(), stderr)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let (loaded, _) = Project::load(&project).expect("the project loads after the writers");
    let mut landed = 0;
    for (file, succeeded, stderr) in &outcomes {
        let present = loaded.recording_at(file).is_some();
        if *succeeded {
            assert!(present, "{} was added but is missing", file.display());
            landed += 1;
        } else {
            assert!(
                stderr.contains("is being written by") && stderr.contains("pid"),
                "{} failed without naming the writer it waited for: {stderr}",
                file.display()
            );
            assert!(!present, "{} was refused but is there", file.display());
        }
    }
    assert_eq!(loaded.recordings.len(), landed);
    assert!(landed > 0);
    // Recording ids stay unique however the writers interleaved.
    let mut ids: Vec<_> = loaded.recordings.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), loaded.recordings.len());
}

#[test]
fn a_held_project_refuses_a_writer_by_name_and_wait_queues_it() {
    use syrinx::session::lock::{ProjectLock, Wait};
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p.syrinx");
    Project::default().save(&project).unwrap();
    let audio = dir.path().join("a.wav");
    short_wav(&audio, 1);
    let held = ProjectLock::acquire(&project, "the Syrinx app", Wait::Forever).unwrap();
    // `--wait` queues behind the holder.
    let mut queued = Command::new(env!("CARGO_BIN_EXE_syrinx"))
        .args(["project", "add", "--wait"])
        .arg(&project)
        .arg(&audio)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Without it, a writer gives up after the brief wait, naming the holder.
    let refused = syrinx(&[
        "project".as_ref(),
        "add".as_ref(),
        project.as_os_str(),
        audio.as_os_str(),
    ]);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        message.contains("is being written by the Syrinx app")
            && message.contains(&format!("pid {}", std::process::id()))
            && message.contains("--wait"),
        "{message}"
    );
    // The queued writer had all that time to finish and did not: it is waiting.
    assert!(queued.try_wait().unwrap().is_none());
    assert!(Project::load(&project).unwrap().0.recordings.is_empty());
    drop(held);
    assert!(queued.wait().unwrap().success());
    assert!(
        Project::load(&project)
            .unwrap()
            .0
            .recording_at(&audio)
            .is_some()
    );
}

#[test]
fn a_damaged_project_names_its_kept_versions_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p.syrinx");
    let audio: Vec<PathBuf> = (0..3)
        .map(|i| {
            let path = dir.path().join(format!("r{i}.wav"));
            short_wav(&path, i);
            path
        })
        .collect();
    for file in &audio {
        let output = syrinx(&[
            "project".as_ref(),
            "add".as_ref(),
            project.as_os_str(),
            file.as_os_str(),
        ]);
        assert!(output.status.success());
    }
    // Damaged by something else: a sync conflict, a tool's save on a full disk.
    let text = std::fs::read(&project).unwrap();
    std::fs::write(&project, &text[..text.len() / 2]).unwrap();
    let show = syrinx(&["project".as_ref(), "show".as_ref(), project.as_os_str()]);
    let message = String::from_utf8_lossy(&show.stderr);
    assert!(!show.status.success());
    assert!(
        message.contains("earlier version") && message.contains("syrinx project restore"),
        "{message}"
    );
    let list = syrinx(&["project".as_ref(), "restore".as_ref(), project.as_os_str()]);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "{listed}");
    // Newest first: the version before the last add held two recordings.
    assert!(
        listed.contains("1: saved") && listed.contains("2 recording(s)"),
        "{listed}"
    );
    let restore = syrinx(&[
        "project".as_ref(),
        "restore".as_ref(),
        project.as_os_str(),
        "1".as_ref(),
    ]);
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let (restored, _) = Project::load(&project).unwrap();
    assert_eq!(restored.recordings.len(), 2);
    // The damaged file was kept too: restoring it back is possible (it is the newest version).
    let versions = syrinx::project::history::versions(&project);
    assert_eq!(
        std::fs::read(&versions[0].path).unwrap(),
        &text[..text.len() / 2]
    );
}
