//! How much one round of labelling helps, by what is labelled: on the demo, iteration 1 is
//! trained with every default and run over the survey recordings; then the same budget of
//! answers (the reviewer is the demo's truth) is spent on
//!
//! - `review`: the run's detections, highest score first (false positives become negatives:
//!   today's loop);
//! - `label next`: the windows of "What to label next" (a call → positive, no call → negative);
//! - `random`: unlabelled survey windows drawn at random (seeded), answered the same way;
//! - `review + label next`: half the budget each;
//!
//! and iteration 2 is trained on each and judged on the held-out test recordings event by event
//! (the matcher of `syrinx evaluate`). Run:
//! `cargo run --release --example label_next_rounds [DIR] [BUDGET]`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use syrinx::annotation::{Edit, ProjectRecordingId, Selection};
use syrinx::demo::{run_metrics as test_metrics, truth_calls, write_demo};
use syrinx::model::{ComputeDevice, ModelArtifact};
use syrinx::project::runs::{DetectionRun, ReviewOrder, Verdict};
use syrinx::project::{Project, Split, UndoStack};
use syrinx::review::label_next::{
    Answer, LabelNextOptions, UncertainWindow, answer_selection, label_next,
};
use syrinx::review::{NegativeOptions, plan_false_positive_negatives};
use syrinx::scoring::score_recording;
use syrinx::train::{InputSource, TrainSettings, project_config_from, train_project};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map_or_else(
        || std::env::temp_dir().join("syrinx-label-next-rounds"),
        PathBuf::from,
    );
    let budget: usize = args.next().map_or(Ok(20), |b| b.parse())?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    write_demo(&dir)?;
    let (mut project, _) = Project::load(&dir.join("demo.syrinx"))?;
    let survey: Vec<ProjectRecordingId> = project.survey_recordings().map(|r| r.id).collect();
    let test: Vec<ProjectRecordingId> = project
        .recordings
        .iter()
        .filter(|r| r.split == Split::Test)
        .map(|r| r.id)
        .collect();
    let started = Instant::now();
    let model_1 = train_next(&mut project, &dir, "model_01")?;
    let run = detect(&project, &model_1, &survey)?;
    let before = test_metrics(&project, &dir, &detect(&project, &model_1, &test)?)?;
    println!(
        "iteration 1 ({:.0} s): test calls P {:.3} R {:.3} F1 {:.3} ({} FP, {} missed); survey run: {} detections",
        started.elapsed().as_secs_f64(),
        before.precision,
        before.recall,
        before.f1,
        before.false_positives,
        before.false_negatives,
        run.counts().detections
    );
    println!(
        "budget: {budget} answers\nstrategy\tcalls\tno calls\tskipped\ttest P\ttest R\ttest F1\tFP\tmissed"
    );
    for strategy in ["review", "label next", "random", "review + label next"] {
        let mut candidate = project.clone();
        let mut run = run.clone();
        let (review_budget, window_budget, random) = match strategy {
            "review" => (budget, 0, false),
            "label next" => (0, budget, false),
            "random" => (0, budget, true),
            _ => (budget / 2, budget - budget / 2, false),
        };
        let mut counts = [0_usize; 3];
        // Review: verdicts from the truth on the highest-scoring detections.
        for at in run
            .queue(ReviewOrder::ScoreHighFirst)
            .into_iter()
            .take(review_budget)
        {
            let recording = candidate
                .recording(run.recording_of(at).ok_or("no recording")?)
                .ok_or("no recording")?;
            let d = run.get(at).ok_or("no detection")?.detection.clone();
            let is_call = truth_calls(&dir, &recording.path)?
                .iter()
                .any(|(start, end)| d.start_secs < *end && *start < d.end_secs);
            run.set_verdict(
                at,
                Some(if is_call {
                    counts[0] += 1;
                    Verdict::TruePositive
                } else {
                    counts[1] += 1;
                    Verdict::FalsePositive
                }),
            );
        }
        let plan = plan_false_positive_negatives(&candidate, &run, &NegativeOptions::default());
        let mut history = UndoStack::default();
        history.apply(
            &mut candidate.selections,
            "negatives",
            vec![Edit::Insert(plan.selections)],
        );
        // Windows: the label-next queue, or random unlabelled ones.
        let windows = if random {
            random_windows(&candidate, &run, window_budget)
        } else {
            label_next(
                &candidate,
                &run,
                &LabelNextOptions {
                    count: window_budget,
                    ..LabelNextOptions::default()
                },
            )
            .windows
        };
        let mut answers: Vec<Selection> = Vec::new();
        for w in &windows {
            let recording = candidate.recording(w.recording).ok_or("no recording")?;
            let answer = truth_answer(&truth_calls(&dir, &recording.path)?, w);
            let Some(answer) = answer else {
                counts[2] += 1;
                continue;
            };
            counts[usize::from(answer == Answer::NoCall)] += 1;
            let id = syrinx::annotation::SelectionId(
                candidate.selections.next_free_id().0 + answers.len() as u64,
            );
            answers.push(answer_selection(&candidate, &run, w, answer, id));
        }
        history.apply(
            &mut candidate.selections,
            "answers",
            vec![Edit::Insert(answers)],
        );
        let name = format!("model_02_{}", strategy.replace([' ', '+'], "_"));
        let model_2 = train_next(&mut candidate, &dir, &name)?;
        let after = test_metrics(&candidate, &dir, &detect(&candidate, &model_2, &test)?)?;
        println!(
            "{strategy}\t{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{}\t{}",
            counts[0],
            counts[1],
            counts[2],
            after.precision,
            after.recall,
            after.f1,
            after.false_positives,
            after.false_negatives
        );
    }
    println!("total {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A reviewer's answer from the truth: a call when a call's centre lies in the window, no call
/// when no call touches it, `None` (skipped: the reviewer would draw the box) otherwise.
fn truth_answer(calls: &[(f64, f64)], w: &UncertainWindow) -> Option<Answer> {
    if calls.iter().any(|(start, end)| {
        let centre = 0.5 * (start + end);
        centre >= w.start_secs && centre <= w.end_secs
    }) {
        Some(Answer::Call)
    } else if calls
        .iter()
        .all(|(start, end)| *end <= w.start_secs || *start >= w.end_secs)
    {
        Some(Answer::NoCall)
    } else {
        None
    }
}

/// `count` windows drawn at random from everything label-next would consider.
fn random_windows(project: &Project, run: &DetectionRun, count: usize) -> Vec<UncertainWindow> {
    let mut all = label_next(
        project,
        run,
        &LabelNextOptions {
            count: usize::MAX,
            min_separation_secs: Some(0.0),
            ..LabelNextOptions::default()
        },
    )
    .windows;
    all.sort_by(|a, b| {
        a.recording
            .cmp(&b.recording)
            .then(a.start_secs.total_cmp(&b.start_secs))
    });
    all.shuffle(&mut ChaCha8Rng::seed_from_u64(7));
    // No two overlapping windows of one recording.
    let mut picked: Vec<UncertainWindow> = Vec::new();
    for w in all {
        if picked.len() == count {
            break;
        }
        if !picked.iter().any(|p| {
            p.recording == w.recording && p.start_secs < w.end_secs && w.start_secs < p.end_secs
        }) {
            picked.push(w);
        }
    }
    picked
}

/// Trains the next iteration with the app's and the CLI's defaults and adds it to the project.
fn train_next(
    project: &mut Project,
    dir: &Path,
    name: &str,
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let (config, settings, _) =
        project_config_from(project, &[], &TrainSettings::default(), InputSource::Auto);
    let outcome = train_project(
        project,
        None,
        &[],
        &config,
        &settings,
        &AtomicBool::new(false),
        &mut |_| {},
    )?;
    let model_dir = dir.join("models").join(name);
    outcome.artifact.save(&model_dir)?;
    project.models.push(model_dir.clone());
    Ok(model_dir)
}

/// The model over `recordings` with its own hop and merge settings (what Detect does).
fn detect(
    project: &Project,
    model_dir: &Path,
    recordings: &[ProjectRecordingId],
) -> Result<DetectionRun, Box<dyn std::error::Error>> {
    let model = ModelArtifact::load(model_dir, &ComputeDevice::Cpu.device()?)?;
    let hop_secs = model.info.detection_hop_secs();
    let mut run = DetectionRun::for_project(
        project,
        model_dir,
        &model.info,
        hop_secs,
        model.info.merge_settings(),
        recordings.to_vec(),
    );
    for id in recordings {
        let path = &project.recording(*id).ok_or("no recording")?.path;
        let scores = score_recording(
            &model,
            path,
            hop_secs,
            &AtomicBool::new(false),
            &mut |_, _| {},
        )?;
        run.add_scores(*id, scores);
    }
    Ok(run)
}
