//! `syrinx similar`: "find more like this" from the command line — the stretches of a
//! project's recordings most like a box (a selection, or a span of a recording), printed, written
//! as a Raven table, or added to the project as selections: the same search the app runs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, bail};
use clap::Args;

use crate::annotation::{Edit, FileRef, SelectionId, SelectionKind, TableRow, write_raven};
use crate::project::Project;
use crate::similar::{Match, QueryBox};
use crate::util::timefmt::{format_time_secs, parse_time_secs};
use crate::workflow::similar::{Embedding, IndexPlace, find_similar, match_selections};

#[derive(Debug, Args)]
pub struct SimilarArgs {
    #[arg(long, value_name = "PROJECT.syrinx")]
    pub project: PathBuf,
    /// With --add-as, when another process is writing the project, wait for it however long
    /// it takes instead of giving up after a few seconds with its name.
    #[arg(long)]
    pub wait: bool,
    /// The box to find more of: a selection's id (the table's Selection column)…
    #[arg(long, conflicts_with = "query")]
    pub selection: Option<u64>,
    /// …or a span of one of the project's recordings: `REC:START-END`, REC its file name (or
    /// stem, or path), times in seconds or h:mm:ss (the whole band unless `--band`).
    #[arg(long, value_name = "REC:START-END")]
    pub query: Option<String>,
    /// Compare by this model's embedding (windows the model sees alike) instead of the
    /// spectrogram (the box's own cells; no model needed). Its indexes are kept beside it.
    #[arg(long, value_name = "MODEL_DIR", conflicts_with = "embedder")]
    pub model: Option<PathBuf>,
    /// Compare by a pretrained ONNX embedder's vectors (its JSON description; see the README),
    /// before any model is trained on it. Its indexes are kept beside the project.
    #[arg(long, value_name = "EMBEDDER.json")]
    pub embedder: Option<PathBuf>,
    /// Frequency band of a `--query` box, `LOW-HIGH` in Hz.
    #[arg(long, value_name = "LOW-HIGH")]
    pub band: Option<String>,
    /// How many matches.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Only matches at least this similar (correlation, 0–1).
    #[arg(long, default_value_t = 0.0)]
    pub min_similarity: f32,
    /// Write the matches as a Raven table (Score = similarity).
    #[arg(long, value_name = "TABLE")]
    pub out: Option<PathBuf>,
    /// Add the matches to the project as selections of this kind (positive or negative) and save.
    #[arg(long, value_name = "KIND")]
    pub add_as: Option<String>,
    /// Label of added selections (default: the query selection's label).
    #[arg(long)]
    pub label: Option<String>,
}

pub fn run(args: &SimilarArgs) -> anyhow::Result<ExitCode> {
    let (project, report) = crate::session::read(&args.project)?;
    super::warn_about(&report);
    let (query, query_label) = query_box(&project, args)?;
    let place = IndexPlace::beside(Some(&args.project));
    let embedding = match (&args.model, &args.embedder) {
        (Some(model), _) => Embedding::Model(model.clone()),
        (None, Some(embedder)) => Embedding::Embedder(embedder.clone()),
        (None, None) => Embedding::Spectrogram,
    };
    let cancel = AtomicBool::new(false);
    let started = std::time::Instant::now();
    let outcome = find_similar(
        &project,
        &report.missing_ids(),
        query,
        args.top,
        &embedding,
        &place,
        &cancel,
        &mut |done, total| eprint!("\rsearching {done}/{total} recordings"),
    )
    .with_context(|| format!("searching {}", args.project.display()))?;
    eprintln!(
        "\rsearched {} recording(s) in {:.1} s ({} index(es) computed, the others read)",
        outcome.searched,
        started.elapsed().as_secs_f64(),
        outcome.computed
    );
    for problem in &outcome.problems {
        eprintln!("warning: {problem}");
    }
    let matches: Vec<Match> = outcome
        .matches
        .into_iter()
        .filter(|m| m.similarity >= args.min_similarity)
        .collect();
    println!("rank\tsimilarity\trecording\tstart\tend");
    for (rank, m) in matches.iter().enumerate() {
        let name = project
            .recording(m.recording)
            .map(crate::project::ProjectRecording::name)
            .unwrap_or_default();
        println!(
            "{}\t{:.3}\t{name}\t{}\t{}",
            rank + 1,
            m.similarity,
            format_time_secs(m.start_secs, m.end_secs),
            format_time_secs(m.end_secs, m.end_secs)
        );
    }
    let label = args.label.clone().or(query_label).unwrap_or_default();
    if let Some(out) = &args.out {
        let rows: Vec<TableRow> =
            match_selections(&project, &matches, SelectionKind::Positive, &label, &query)
                .iter()
                .map(|s| {
                    let file = project.recording(s.recording).map(|r| FileRef {
                        name: r.name(),
                        path: Some(r.path.display().to_string()),
                        start: None,
                    });
                    let mut row = TableRow::from_selection(s, file);
                    row.kind = None;
                    row.score = s
                        .extra
                        .get(crate::review::SCORE_COLUMN)
                        .and_then(|v| v.parse().ok());
                    row
                })
                .collect();
        crate::util::fsutil::write_atomically(out, write_raven(&rows).as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    if let Some(kind) = &args.add_as {
        let kind = SelectionKind::parse(kind)
            .with_context(|| format!("--add-as {kind}: say positive or negative"))?;
        // Added to the project as it is now (the search took a while; another process may
        // have written it meanwhile), with ids free there; matches in recordings removed
        // meanwhile are dropped.
        let n = super::edit_project(
            &args.project,
            crate::session::lock::Wait::brief_or_forever(args.wait),
            |project| {
                let present: Vec<_> = matches
                    .iter()
                    .filter(|m| project.recording(m.recording).is_some())
                    .cloned()
                    .collect();
                let selections = match_selections(project, &present, kind, &label, &query);
                let n = selections.len();
                project.selections.apply(&Edit::Insert(selections));
                Ok(n)
            },
        )?;
        eprintln!(
            "added {n} {} selection(s) labelled \"{label}\" to {}",
            kind.name(),
            args.project.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The query box and its label (a selection's), from `--selection` or `--query`/`--band`.
fn query_box(project: &Project, args: &SimilarArgs) -> anyhow::Result<(QueryBox, Option<String>)> {
    if let Some(id) = args.selection {
        let selection = project
            .selections
            .get(SelectionId(id))
            .with_context(|| format!("the project has no selection {id}"))?;
        return Ok((
            QueryBox {
                recording: selection.recording,
                start_secs: selection.start_secs,
                end_secs: selection.end_secs,
                low_hz: selection.low_hz,
                high_hz: selection.high_hz,
            },
            Some(selection.label.clone()),
        ));
    }
    let Some(text) = &args.query else {
        bail!("say which box: --selection ID or --query REC:START-END");
    };
    let (low_hz, high_hz) = match &args.band {
        Some(band) => {
            let (low, high) = band
                .split_once('-')
                .with_context(|| format!("--band {band}: write LOW-HIGH in Hz"))?;
            (low.trim().parse::<f64>()?, high.trim().parse::<f64>()?)
        }
        None => (0.0, f64::MAX),
    };
    // The recording's name may itself hold ':' (and times may be h:mm:ss): try each split.
    for (at, _) in text.match_indices(':') {
        let (name, span) = (&text[..at], &text[at + 1..]);
        let Some((start, end)) = span.split_once('-') else {
            continue;
        };
        let (Ok(start_secs), Ok(end_secs)) = (parse_time_secs(start), parse_time_secs(end)) else {
            continue;
        };
        let found = project.recordings.iter().find(|r| {
            r.name() == name
                || r.path.file_stem().is_some_and(|s| s == name)
                || r.path == std::path::Path::new(name)
        });
        if let Some(recording) = found {
            if end_secs <= start_secs {
                bail!("--query {text}: the end must come after the start");
            }
            return Ok((
                QueryBox {
                    recording: recording.id,
                    start_secs,
                    end_secs,
                    low_hz,
                    high_hz,
                },
                None,
            ));
        }
    }
    bail!("--query {text}: no recording of the project is named so (write REC:START-END)")
}
