//! A full disk, for real: a small tmpfs mounted for the test (skipped, saying so, where the
//! test may not mount one). Project saves, score files, table exports and model folders each
//! fail with an error naming the file, and the file already there stays whole.

use std::path::{Path, PathBuf};
use std::process::Command;

use syrinx::annotation::{Selection, SelectionKind, TableFormat, TableRow, write_table};
use syrinx::detect::WindowScores;
use syrinx::dsp::ModelInputSpec;
use syrinx::model::{ComputeDevice, ModelArtifact, NetworkConfig};
use syrinx::project::Project;
use syrinx::project::score_files::StoredScores;

/// A tmpfs of `kib` KiB at a fresh folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(kib: usize) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .output()
            .ok()?;
        mounted.status.success().then_some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills what is left, but `keep` bytes.
    fn fill(&self, keep: u64) {
        let filler = self.path().join("filler");
        let _ = std::fs::remove_file(&filler);
        let free = free_bytes(self.path());
        let size = free.saturating_sub(keep);
        std::fs::write(&filler, vec![0_u8; size as usize]).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).output();
    }
}

fn free_bytes(path: &Path) -> u64 {
    let output = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}

fn selection(id: u64, recording: syrinx::annotation::ProjectRecordingId) -> Selection {
    Selection {
        id: syrinx::annotation::SelectionId(id),
        recording,
        start_secs: id as f64,
        end_secs: id as f64 + 0.5,
        low_hz: 1_000.0,
        high_hz: 3_000.0,
        label: format!("call with a long label to take room {id}"),
        kind: SelectionKind::Positive,
        extra: Default::default(),
    }
}

fn assert_names(error: &str, path: &Path) {
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        error.contains(name.as_ref()),
        "{error} does not name {name}"
    );
}

#[test]
fn a_full_disk_fails_each_write_by_name_and_keeps_the_old_file() {
    let Some(disk) = SmallDisk::mount(1024) else {
        eprintln!("skipped: this test cannot mount a small tmpfs here (it needs root)");
        return;
    };
    let dir = disk.path();

    // A project with a recording and a few selections, saved while there is room.
    let project_path = dir.join("survey.syrinx");
    let mut project = Project::default();
    let audio = dir.join("a.wav");
    let samples = syrinx::util::synth::FieldSynth::new(8_000, 1).take(8_000);
    syrinx::audio::write_wav(&audio, &samples, 8_000, syrinx::audio::WavEncoding::Pcm16).unwrap();
    let id = project
        .add_recording(&syrinx::audio::probe(&audio).unwrap())
        .unwrap();
    project.selections =
        syrinx::annotation::SelectionSet::from_items((0..5).map(|i| selection(i, id)).collect());
    project.save(&project_path).unwrap();
    let before = std::fs::read(&project_path).unwrap();

    // Another 3,000 selections do not fit in what is left.
    disk.fill(16 * 1024);
    let mut bigger = project.clone();
    bigger.selections = syrinx::annotation::SelectionSet::from_items(
        (0..3_000).map(|i| selection(i, id)).collect(),
    );
    let error = bigger.save(&project_path).unwrap_err().to_string();
    assert_names(&error, &project_path);
    assert_eq!(
        std::fs::read(&project_path).unwrap(),
        before,
        "the old project stays"
    );
    assert!(Project::load(&project_path).is_ok());

    // A score file.
    let scores_path = dir.join("scores.bin");
    let small = WindowScores {
        window_secs: 1.0,
        start_secs: vec![0.0],
        scores: vec![0.5],
        envelope: None,
    };
    disk.fill(1024 * 1024);
    StoredScores::in_memory(small.clone())
        .store_at(&scores_path)
        .unwrap();
    let scores_before = std::fs::read(&scores_path).unwrap();
    disk.fill(4 * 1024);
    let large = WindowScores {
        window_secs: 1.0,
        start_secs: (0..100_000).map(f64::from).collect(),
        scores: vec![0.25; 100_000],
        envelope: None,
    };
    let error = StoredScores::in_memory(large)
        .store_at(&scores_path)
        .unwrap_err()
        .to_string();
    assert_names(&error, &scores_path);
    assert_eq!(std::fs::read(&scores_path).unwrap(), scores_before);

    // A table export.
    let table_path = dir.join("detections.selections.txt");
    let rows = |n: u64| -> Vec<TableRow> {
        (0..n)
            .map(|i| TableRow::from_selection(&selection(i, id), None))
            .collect()
    };
    disk.fill(1024 * 1024);
    write_table(&table_path, TableFormat::Raven, &rows(3)).unwrap();
    let table_before = std::fs::read(&table_path).unwrap();
    disk.fill(4 * 1024);
    let error = write_table(&table_path, TableFormat::Raven, &rows(5_000))
        .unwrap_err()
        .to_string();
    assert_names(&error, &table_path);
    assert_eq!(std::fs::read(&table_path).unwrap(), table_before);

    // A model folder: written while there is room, then again on a full disk.
    let model_dir: PathBuf = dir.join("model");
    let device = ComputeDevice::Cpu.device().unwrap();
    let small_net = NetworkConfig {
        channels: vec![4],
        input_pool: 1,
        ..NetworkConfig::default()
    };
    let _ = std::fs::remove_file(dir.join("filler"));
    ModelArtifact::untrained(small_net, ModelInputSpec::default(), &device)
        .save(&model_dir)
        .unwrap();
    let weights_before: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&model_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    disk.fill(4 * 1024);
    let error =
        ModelArtifact::untrained(NetworkConfig::default(), ModelInputSpec::default(), &device)
            .save(&model_dir)
            .unwrap_err()
            .to_string();
    assert_names(&error, &model_dir);
    for (path, bytes) in &weights_before {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
    }
    assert!(
        ModelArtifact::load(&model_dir, &device).is_ok(),
        "the old model still loads"
    );
    // Nothing half-written is left beside any of them.
    for folder in [dir.to_path_buf(), model_dir] {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                !name.ends_with(".partial"),
                "{name} left in {}",
                folder.display()
            );
        }
    }
}
