//! `syrinx train`: a project → a model folder, with a progress bar; `--json` ends stdout with a
//! summary line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::model::ComputeDevice;
use crate::project::Project;
use crate::train::{ClassRequest, PlanError, TrainEvent, TrainPlan, TrainRequest, TrainSettings};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The project (`*.syrinx`).
    #[arg(value_name = "PROJECT")]
    pub project: PathBuf,
    /// Folder to write the model to (created; an existing model there is replaced).
    #[arg(long, value_name = "MODEL_DIR", required_unless_present = "show_input")]
    pub out: Option<PathBuf>,
    /// Print the model input training would use, and why, then stop (nothing is trained).
    #[arg(long)]
    pub show_input: bool,
    /// Most epochs (training stops earlier when validation stops improving).
    #[arg(long, default_value_t = TrainSettings::default().epochs)]
    pub epochs: usize,
    /// Windows per batch.
    #[arg(long, default_value_t = TrainSettings::default().batch_size)]
    pub batch: usize,
    /// Seed for splits, crops, augmentation and weights: the same seed gives the same model.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Window length in seconds (default: the project's, 2.5 s unless changed).
    #[arg(long, value_name = "W")]
    pub window_secs: Option<f64>,
    /// Learning rate (Adam).
    #[arg(long, default_value_t = TrainSettings::default().learning_rate)]
    pub learning_rate: f64,
    /// Epochs without a better validation loss before stopping (0 = never stop early).
    #[arg(long, default_value_t = TrainSettings::default().patience)]
    pub patience: usize,
    /// Worker threads (0 = all cores, leaving one free on machines with more than two).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Compute device: cpu, or gpu in builds with the `wgpu` feature.
    #[arg(long, default_value = "cpu")]
    pub device: ComputeDevice,
    /// Mix background from the recordings in this folder (rain, wind, site noise) instead of
    /// the training negatives.
    #[arg(long, value_name = "DIR")]
    pub noise_dir: Option<PathBuf>,
    /// Turn off augmentation (random crops stay on).
    #[arg(long)]
    pub no_augment: bool,
    /// Which model input to train with: `proposed` (from the data: the recordings' rate, the
    /// positives' band, a window from the calls' lengths), `project` (the project's, as set in
    /// the app), or `auto`: the project's when one was set there, else the proposal.
    #[arg(long, default_value = "auto")]
    pub input: crate::train::InputSource,
    /// Front end: pcen, background, standardize or db-range (default: the input's).
    #[arg(long, value_name = "NAME")]
    pub front_end: Option<crate::dsp::InputNormalization>,
    /// Context around each window: `on` (the network sees its neighbourhood, and detection
    /// scores every window from one pass over the recording, at hops that are whole
    /// multiples of half the network's stride) or `off` (each window on its own, as before).
    /// Fixed-range and PCEN front ends only; others are always `off`.
    #[arg(
        long,
        value_name = "on|off",
        action = clap::ArgAction::Set,
        default_value = if crate::train::CONTEXT_BY_DEFAULT { "on" } else { "off" },
        value_parser = on_off
    )]
    pub context: bool,
    /// Train this many networks (consecutive seeds) and average their scores.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub ensemble: usize,
    /// Train one multi-class model: `all` (every positive label with at least 3 selections),
    /// or labels separated by commas. Each becomes an output; windows of overlapping calls of
    /// two classes count for both; negatives and positives of other labels are "none of
    /// these". Without it, every positive is one class (a single-class model).
    #[arg(long, value_name = "all|LABEL,LABEL,…")]
    pub classes: Option<String>,
    /// With --classes: also learn an explicit "noise / other" class from the negatives (drawn
    /// Negatives and background windows), as HawkEars and BirdNET do; it is never detected.
    #[arg(long, requires = "classes")]
    pub noise_class: bool,
    /// Train a head on this pretrained ONNX embedder instead of a network (its JSON
    /// description, or the .onnx file with that JSON beside it; see the README): the windows'
    /// embeddings are computed once (kept beside the project) and the head trains in seconds.
    #[arg(long, value_name = "EMBEDDER.json")]
    pub embedder: Option<PathBuf>,
    /// With --embedder: units of the head's hidden layer (0: logistic regression).
    #[arg(long, default_value_t = crate::embed::HeadSettings::default().hidden, requires = "embedder")]
    pub head_hidden: usize,
    /// Print a JSON summary as the last line of stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &TrainArgs) -> anyhow::Result<ExitCode> {
    let (project, report) = crate::session::read(&args.project)?;
    super::warn_about(&report);
    let requested = TrainSettings {
        epochs: args.epochs,
        batch_size: args.batch.max(1),
        learning_rate: args.learning_rate,
        patience: args.patience,
        seed: args.seed,
        device: args.device,
        threads: args.threads,
        context: args.context,
        noise_dir: args.noise_dir.clone(),
        ensemble: args.ensemble.clamp(1, 16),
        ..TrainSettings::default()
    };
    let request = TrainRequest {
        settings: requested,
        input: args.input,
        front_end: args.front_end,
        window_secs: args.window_secs,
        classes: class_request(args.classes.as_deref()),
        noise_class: args.noise_class,
        no_augment: args.no_augment,
    };
    let plan =
        TrainPlan::resolve(&project, &report.missing_ids(), &request).map_err(|e| match e {
            PlanError::WindowSecs(_) => anyhow::anyhow!("--window-secs: {e}"),
            _ => anyhow::anyhow!("--classes: {e}"),
        })?;
    // A head takes the embedder's rate and window: the spectrogram input does not apply.
    if args.embedder.is_none() {
        for line in plan.describe() {
            println!("{line}");
        }
        for warning in &plan.input.warnings {
            eprintln!("warning: {warning}");
        }
    }
    let (false, Some(out)) = (args.show_input, args.out.as_deref()) else {
        // --show-input: the whole plan as JSON on stdout, for scripts; nothing is trained.
        println!("{}", serde_json::to_string(&plan)?);
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(embedder) = &args.embedder {
        return train_head(
            args,
            &project,
            &report.missing_ids(),
            embedder,
            &plan.dataset,
            out,
        );
    }
    // What the split did and how training will be validated (the dataset is built again
    // inside training: cheap, no audio is read).
    if let Ok(dataset) =
        crate::dataset::Dataset::from_project(&project, &report.missing_ids(), &plan.dataset)
    {
        println!("splits: {}", dataset.validation_plan(&plan.dataset));
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {msg} (eta {eta})")
            .map_or_else(
                |_| ProgressStyle::default_bar(),
                |s| s.progress_chars("=> "),
            ),
    );
    let on_event = |event: TrainEvent| match event {
        TrainEvent::Caching { done, total } => {
            bar.set_prefix("spectrograms");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        TrainEvent::Batch {
            epoch,
            batch,
            batches,
            loss,
            ..
        } => {
            bar.set_prefix(format!("epoch {epoch}"));
            bar.set_length(batches as u64);
            bar.set_position(batch as u64);
            bar.set_message(format!("loss {loss:.3}"));
        }
        TrainEvent::Stage(stage) => {
            if bar.is_hidden() {
                eprintln!("{stage}");
            } else {
                bar.println(stage);
            }
        }
        TrainEvent::Epoch(metrics) => {
            let validation = metrics.validation.as_ref().map_or_else(String::new, |v| {
                format!(
                    " · validation loss {:.3} acc {:.3} P {:.3} R {:.3}",
                    v.loss, v.accuracy, v.precision, v.recall
                )
            });
            let events = metrics.validation_events.map_or_else(String::new, |e| {
                format!(
                    " · events F1 {:.3} at {:.2} (mean over thresholds {:.3})",
                    e.f1,
                    e.threshold,
                    metrics.validation_events_mean_f1.unwrap_or(0.0)
                )
            });
            let line = format!(
                "epoch {:>3}: train loss {:.3} acc {:.3}{validation}{events} ({:.1} s)",
                metrics.epoch, metrics.train_loss, metrics.train_accuracy, metrics.secs
            );
            // indicatif hides the bar (and its println) when stderr is not a terminal.
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
        }
    };
    // Training runs as a job (the app's way); this thread draws the progress.
    let work = {
        let (project, project_path, missing) =
            (project.clone(), args.project.clone(), report.missing_ids());
        let (plan, out) = (plan.clone(), out.to_path_buf());
        move |context: &crate::util::jobs::JobContext<TrainEvent>| {
            crate::workflow::train::train_and_save(
                &project,
                Some(&project_path),
                &missing,
                &plan,
                &out,
                context.cancel_flag(),
                &mut |event| context.deliver(event),
            )
            .map_err(|error| context.failed(error))
        }
    };
    let outcome = crate::util::jobs::run_here("training", work, &mut |event| {
        on_event(event);
        true
    });
    bar.finish_and_clear();
    let outcome = outcome?;
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    let info = &outcome.artifact.info;
    let describe = |name: &str, m: Option<&crate::metrics::SplitMetrics>| match m {
        Some(m) => println!(
            "{name:>10}: {} windows · accuracy {:.3} · precision {:.3} · recall {:.3} · F1 {:.3} · ROC-AUC {}",
            m.windows,
            m.accuracy,
            m.precision,
            m.recall,
            m.f1,
            m.roc_auc
                .map_or_else(|| "n/a".to_owned(), |a| format!("{a:.3}"))
        ),
        None => println!("{name:>10}: no windows"),
    };
    println!(
        "trained {} epoch(s) in {:.1} s (best epoch {}, {:.0} samples/s); model: {}",
        outcome.epochs_run,
        outcome.train_secs,
        info.best_epoch,
        outcome.samples_per_sec,
        out.display()
    );
    describe("validation", info.validation.as_ref());
    describe("test", info.test.as_ref());
    for class in &info.class_metrics {
        let f1 = |m: Option<&crate::metrics::SplitMetrics>| {
            m.map_or_else(|| "–".to_owned(), |m| format!("{:.3}", m.f1))
        };
        println!(
            "{:>10}: threshold {:.2} · validation F1 {} · test F1 {} (windows)",
            class.name,
            class.threshold,
            f1(class.validation.as_ref()),
            f1(class.test.as_ref())
        );
        for (split, events) in [
            ("validation", &class.validation_events),
            ("test", &class.test_events),
        ] {
            if let Some(events) = events {
                println!(
                    "{:>10}  events: {split} recordings · {}",
                    "",
                    events.summary()
                );
            }
        }
    }
    for confusion in &info.confusions {
        println!(
            "confusion ({}; rows: truth, columns: predicted): {}",
            confusion.split,
            confusion.labels.join(" | ")
        );
        for (label, row) in confusion.labels.iter().zip(&confusion.counts) {
            let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
            println!("{label:>16}: {}", cells.join("\t"));
        }
    }
    if let Some(cv) = &info.cross_validation {
        println!("cross-validated (a small project): {}", cv.description);
        println!(
            "    the folds chose {} epoch(s) (the best of their smoothed out-of-fold curve) and \
             threshold {:.2}; the final model trained on every training window",
            cv.chosen_epochs, info.threshold
        );
        for (fold, events) in cv.fold_events.iter().enumerate() {
            if let Some(events) = events {
                println!("    fold {}: {}", fold + 1, events.summary());
            }
        }
    }
    if let Some(events) = &info.validation_events {
        let what = if info.cross_validation.is_some() {
            "all folds, out of fold"
        } else {
            "validation recordings"
        };
        println!("    events: {what} · {}", events.summary());
    }
    match &info.test_events {
        Some(events) => println!(
            "    events: annotated test recordings · {}",
            events.summary()
        ),
        None if info.test.is_some() && info.class_metrics.is_empty() => println!(
            "    events: no fully annotated test recording (count calls with syrinx detect and syrinx evaluate)"
        ),
        None => {}
    }
    if args.json {
        let summary = serde_json::json!({
            "model": out,
            "validation": info.validation,
            "validation_events": info.validation_events,
            "test_events": info.test_events,
            "test": info.test,
            "classes": info.class_metrics,
            "confusions": info.confusions,
            "input": info.input,
            "train_secs": outcome.train_secs,
            "epochs_run": outcome.epochs_run,
            "best_epoch": info.best_epoch,
            "cross_validation": info.cross_validation,
            "train_samples_per_sec": outcome.samples_per_sec,
            "warnings": outcome.warnings,
        });
        println!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `syrinx train --embedder`: a head on a pretrained embedder.
/// The classes `--classes` asks for: `all`, or labels separated by commas.
fn class_request(classes: Option<&str>) -> ClassRequest {
    match classes {
        None => ClassRequest::OneClass,
        Some(text) if text.trim().eq_ignore_ascii_case("all") => ClassRequest::All,
        Some(text) => ClassRequest::Named(
            text.split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
        ),
    }
}

fn train_head(
    args: &TrainArgs,
    project: &Project,
    missing: &[crate::annotation::ProjectRecordingId],
    embedder: &std::path::Path,
    config: &crate::dataset::DatasetConfig,
    out: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let settings = crate::embed::HeadSettings {
        hidden: args.head_hidden,
        seed: args.seed,
        ..crate::embed::HeadSettings::default()
    };
    let bar = ProgressBar::new(0);
    bar.set_prefix("embedding");
    let cache_dir = crate::similar::embeddings_dir(&args.project);
    let outcome = crate::workflow::head::train_head_model(
        project,
        Some(&args.project),
        missing,
        embedder,
        config,
        &settings,
        Some(&cache_dir),
        out,
        &std::sync::atomic::AtomicBool::new(false),
        &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish_and_clear();
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    let info = &outcome.artifact.info;
    let spec = &outcome
        .artifact
        .head
        .as_ref()
        .map(|h| h.embedder.spec.clone());
    if let Some(spec) = spec {
        println!(
            "embedder: {} ({} Hz, {:.3} s windows){}",
            spec.name,
            spec.sample_rate_hz,
            spec.window_secs(),
            if spec.licence.is_empty() {
                String::new()
            } else {
                format!(" · licence: {}", spec.licence)
            }
        );
    }
    println!(
        "head trained in {:.2} s ({} epochs; {} / {} / {} train / validation / test windows; \
         {:.1} s embedding recordings); model: {}",
        outcome.train_secs,
        outcome.epochs_run,
        outcome.rows[0],
        outcome.rows[1],
        outcome.rows[2],
        outcome.embed_secs,
        out.display()
    );
    if let Some(events) = &info.validation_events {
        let what = if info.cross_validation.is_some() {
            "all folds, out of fold"
        } else {
            "validation recordings"
        };
        println!("    events: {what} · {}", events.summary());
    }
    if let Some(events) = &info.test_events {
        println!(
            "    events: annotated test recordings · {}",
            events.summary()
        );
    }
    for class in &info.class_metrics {
        println!("{:>10}: threshold {:.2}", class.name, class.threshold);
        if let Some(events) = &class.test_events {
            println!("{:>10}  events: test recordings · {}", "", events.summary());
        }
    }
    if args.json {
        let summary = serde_json::json!({
            "model": out,
            "embedder": info.embedder,
            "head_train_secs": outcome.train_secs,
            "embed_secs": outcome.embed_secs,
            "epochs_run": outcome.epochs_run,
            "rows": outcome.rows,
            "threshold": info.threshold,
            "validation": info.validation,
            "test": info.test,
            "validation_events": info.validation_events,
            "test_events": info.test_events,
            "classes": info.class_metrics,
            "warnings": outcome.warnings,
        });
        println!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `on` or `off`.
fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("'{other}': say on or off")),
    }
}
