//! The tile engine: background threads that compute spectrogram tiles of open recordings for the
//! desktop view, a byte-capped cache, and a whole-recording summary from which coarse zoom levels
//! are drawn. The caller never waits: it asks for tiles, draws what is ready, and is woken (through
//! a [`Waker`]) when more arrives.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;

use super::SpectrogramError;
use super::stream::stream_spectrogram;
use super::tiles::{RecordingId, TILE_COLUMNS, Tile, TileCache, TileKey, average_power};
use crate::audio::{AudioReader, ChannelMode};
use crate::dsp::{SpectrogramParams, Stft, power_to_db_in_place};

/// Called (from a background thread) when new tiles or summary columns are ready.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Most memory one summary may use; longer recordings get coarser summary columns.
const SUMMARY_MAX_BYTES: usize = 32 * 1024 * 1024;
/// The finest summary level: below it tiles are computed directly from audio, which for a level
/// below 7 means at most 32,768 frames (about 3 minutes at 44.1 kHz with a 256 hop) per tile.
const SUMMARY_MIN_LEVEL: u8 = 7;
/// Summaries kept (least recently wanted dropped first).
const MAX_SUMMARIES: usize = 8;
/// Largest overview picture (it is drawn in a strip a few dozen pixels high).
const OVERVIEW_COLUMNS: usize = 1024;
const OVERVIEW_ROWS: usize = 64;
/// Partly computed coarse tiles kept (a screen or two).
const MAX_PARTIAL_TILES: usize = 64;
/// Errors kept for the user interface to show.
const MAX_ERRORS: usize = 32;

/// Everything that determines a spectrogram of a recording (a summary's identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpectrogramKey {
    pub recording: RecordingId,
    pub params: SpectrogramParams,
    pub channel: ChannelMode,
}

/// How far a summary has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryProgress {
    pub level: u8,
    pub columns_done: usize,
    pub total_columns: usize,
}

impl SummaryProgress {
    #[must_use]
    pub fn fraction(&self) -> f32 {
        if self.total_columns == 0 {
            1.0
        } else {
            self.columns_done as f32 / self.total_columns as f32
        }
    }

    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.columns_done >= self.total_columns
    }
}

/// The whole recording at one coarse level, filled progressively by the summary thread. Columns
/// hold average linear power, so coarser tiles can average them again before converting to dB.
#[derive(Debug)]
struct Summary {
    level: u8,
    bands: usize,
    total_columns: usize,
    /// Power below which dB values are floored (the parameters' floor).
    min_power: f32,
    /// Column-major power of the columns done so far.
    columns: RwLock<Vec<f32>>,
    /// A small picture of the whole recording, kept up to date by the summary thread.
    overview: RwLock<Overview>,
}

/// The whole recording at most [`OVERVIEW_COLUMNS`] × [`OVERVIEW_ROWS`], in dB.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overview {
    pub columns: usize,
    pub rows: usize,
    /// Column-major dB, row 0 lowest; columns not reached yet hold the floor.
    pub db: Vec<f32>,
    /// Overview columns complete so far.
    pub columns_done: usize,
    /// Share of the recording summarised so far (0–1).
    pub progress: f32,
}

impl Overview {
    fn new(total_summary_columns: usize, bands: usize, floor_db: f32) -> Self {
        let columns = total_summary_columns.clamp(1, OVERVIEW_COLUMNS);
        // Whole groups of bands per row, so no row is left without bands.
        let per_row = bands.div_ceil(OVERVIEW_ROWS).max(1);
        let rows = bands.div_ceil(per_row).max(1);
        Self {
            columns,
            rows,
            db: vec![floor_db; columns * rows],
            columns_done: 0,
            progress: 0.0,
        }
    }

    /// Recomputes the overview columns touched by summary columns `[from, done)`. Overview
    /// column `c` averages summary columns `[c·total/columns, (c+1)·total/columns)`, so the
    /// picture maps linearly onto the recording.
    fn update(
        &mut self,
        summary: &[f32],
        from: usize,
        done: usize,
        total: usize,
        bands: usize,
        min_power: f32,
    ) {
        let total = total.max(1);
        let span = |column: usize| {
            (
                column * total / self.columns,
                (column + 1) * total / self.columns,
            )
        };
        let per_row = bands.div_ceil(self.rows).max(1);
        let first = from * self.columns / total;
        let last = (done * self.columns).div_ceil(total).min(self.columns);
        let mut values = vec![0.0_f32; self.rows];
        for column in first..last {
            let (start, end) = span(column);
            let end = end.min(done);
            if end <= start {
                continue;
            }
            values.fill(0.0);
            let mut counts = vec![0_u32; self.rows];
            for source in start..end {
                for (band, power) in summary[source * bands..(source + 1) * bands]
                    .iter()
                    .enumerate()
                {
                    values[band / per_row] += power;
                    counts[band / per_row] += 1;
                }
            }
            for (v, n) in values.iter_mut().zip(&counts) {
                *v /= (*n).max(1) as f32;
            }
            power_to_db_in_place(&mut values, min_power);
            self.db[column * self.rows..(column + 1) * self.rows].copy_from_slice(&values);
        }
        self.columns_done = (0..self.columns).take_while(|c| span(*c).1 <= done).count();
        self.progress = done as f32 / total as f32;
    }
}

impl Summary {
    fn columns_done(&self) -> usize {
        self.columns
            .read()
            .map_or(0, |c| c.len() / self.bands.max(1))
    }
}

#[derive(Debug)]
struct RecordingEntry {
    reader: AudioReader,
    frame_count: u64,
    sample_rate_hz: u32,
}

#[derive(Default)]
struct State {
    cache: Option<TileCache>,
    recordings: HashMap<RecordingId, RecordingEntry>,
    /// Tiles the view wants, most urgent first.
    wanted: Vec<TileKey>,
    in_flight: HashSet<TileKey>,
    /// Summaries the view wants, most urgent first.
    wanted_summaries: Vec<SpectrogramKey>,
    summaries: HashMap<SpectrogramKey, (Arc<Summary>, u64)>,
    /// Coarse tiles drawn from a summary still being computed, with the summary's progress when
    /// they were built.
    partial: HashMap<TileKey, (usize, Arc<Tile>)>,
    summary_clock: u64,
    errors: Vec<String>,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    waker: Waker,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A worker that panicked mid-update leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until `pick` finds work (`None` once the engine shuts down).
    fn next_job<T>(&self, pick: impl Fn(&mut State) -> Option<T>) -> Option<T> {
        let mut state = self.lock();
        loop {
            if state.shutdown {
                return None;
            }
            if let Some(job) = pick(&mut state) {
                return Some(job);
            }
            state = self
                .work
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// Background spectrogram computation for the desktop view.
pub struct TileEngine {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for TileEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileEngine")
            .field("threads", &self.threads.len())
            .finish_non_exhaustive()
    }
}

impl TileEngine {
    /// Starts `tile_threads` tile workers and one summary worker, caching up to `cache_bytes`.
    pub fn new(cache_bytes: usize, tile_threads: usize, waker: Waker) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                cache: Some(TileCache::new(cache_bytes)),
                ..State::default()
            }),
            work: Condvar::new(),
            waker,
        });
        let mut threads = Vec::new();
        for i in 0..tile_threads.max(1) {
            let shared = Arc::clone(&shared);
            if let Ok(handle) = std::thread::Builder::new()
                .name(format!("syrinx-tiles-{i}"))
                .spawn(move || tile_worker(&shared))
            {
                threads.push(handle);
            }
        }
        let summary_shared = Arc::clone(&shared);
        if let Ok(handle) = std::thread::Builder::new()
            .name("syrinx-summary".to_owned())
            .spawn(move || summary_worker(&summary_shared))
        {
            threads.push(handle);
        }
        Self { shared, threads }
    }

    /// Makes a recording available; the engine reads it with its own clones of `reader`.
    pub fn add_recording(&self, id: RecordingId, reader: AudioReader) {
        let info = reader.info();
        let entry = RecordingEntry {
            frame_count: info.frame_count,
            sample_rate_hz: info.sample_rate_hz,
            reader,
        };
        self.shared.lock().recordings.insert(id, entry);
    }

    /// Forgets a recording and its tiles.
    pub fn remove_recording(&self, id: RecordingId) {
        let mut state = self.shared.lock();
        state.recordings.remove(&id);
        if let Some(cache) = state.cache.as_mut() {
            cache.remove_recording(id);
        }
        state.summaries.retain(|key, _| key.recording != id);
        state.partial.retain(|key, _| key.recording != id);
        state.wanted.retain(|key| key.recording != id);
        state.wanted_summaries.retain(|key| key.recording != id);
    }

    /// The level from which tiles of `key` come from its summary rather than from audio.
    #[must_use]
    pub fn summary_level(&self, key: &SpectrogramKey) -> Option<u8> {
        let state = self.shared.lock();
        let entry = state.recordings.get(&key.recording)?;
        Some(summary_shape(entry, &key.params)?.0)
    }

    /// Replaces what the view wants: tiles (most urgent first) and the summaries behind them.
    /// Returns nothing; ready tiles are fetched with [`tile`](Self::tile).
    pub fn request(&self, tiles: &[TileKey], summaries: &[SpectrogramKey]) {
        let mut state = self.shared.lock();
        state.wanted = tiles.to_vec();
        state.wanted_summaries = summaries.to_vec();
        state.summary_clock += 1;
        let clock = state.summary_clock;
        for key in summaries {
            if let Some(entry) = state.summaries.get_mut(key) {
                entry.1 = clock;
            }
        }
        drop(state);
        self.shared.work.notify_all();
    }

    /// A tile if it is ready. Coarse tiles come from the summary as far as it has got; a tile the
    /// summary only partly covers is returned with fewer columns and is not cached.
    #[must_use]
    pub fn tile(&self, key: &TileKey) -> Option<Arc<Tile>> {
        let summary = {
            let mut state = self.shared.lock();
            if let Some(tile) = state.cache.as_mut().and_then(|c| c.get(key)) {
                return Some(tile);
            }
            let spectrogram = SpectrogramKey {
                recording: key.recording,
                params: key.params,
                channel: key.channel,
            };
            let (summary, _) = state.summaries.get(&spectrogram)?;
            if key.level < summary.level {
                return None;
            }
            let summary = Arc::clone(summary);
            // A partly covered tile is rebuilt only when the summary has grown by a 32nd of it,
            // not on every frame the view draws it.
            let done = summary.columns_done();
            let step = (TILE_COLUMNS << (key.level - summary.level)) / 32;
            if let Some((built_at, tile)) = state.partial.get(key)
                && done < built_at + step.max(1)
                && done < summary.total_columns
            {
                return Some(Arc::clone(tile));
            }
            summary
        };
        // Averaging happens outside the lock, so workers are never held up by the view.
        let done = summary.columns_done();
        let tile = Arc::new(summary_tile(&summary, key)?);
        let mut state = self.shared.lock();
        let span = TILE_COLUMNS << (key.level - summary.level);
        let first = usize::try_from(key.index)
            .unwrap_or(usize::MAX)
            .saturating_mul(span);
        if done >= first.saturating_add(span) || done >= summary.total_columns {
            state.partial.remove(key);
            if let Some(cache) = state.cache.as_mut() {
                cache.insert(Arc::clone(&tile));
            }
        } else {
            if state.partial.len() >= MAX_PARTIAL_TILES {
                state.partial.clear();
            }
            state.partial.insert(*key, (done, Arc::clone(&tile)));
        }
        Some(tile)
    }

    /// Progress of a summary the view asked for.
    #[must_use]
    pub fn summary_progress(&self, key: &SpectrogramKey) -> Option<SummaryProgress> {
        let state = self.shared.lock();
        let (summary, _) = state.summaries.get(key)?;
        Some(SummaryProgress {
            level: summary.level,
            columns_done: summary.columns_done(),
            total_columns: summary.total_columns,
        })
    }

    /// A small picture of the whole recording (as far as its summary has got).
    #[must_use]
    pub fn overview(&self, key: &SpectrogramKey) -> Option<Overview> {
        let summary = Arc::clone(&self.shared.lock().summaries.get(key)?.0);
        let overview = summary.overview.read().ok()?.clone();
        Some(overview)
    }

    /// Problems met by background work since the last call (unreadable audio, …).
    pub fn take_errors(&self) -> Vec<String> {
        std::mem::take(&mut self.shared.lock().errors)
    }

    /// Bytes held by cached tiles.
    #[must_use]
    pub fn cache_bytes(&self) -> usize {
        self.shared
            .lock()
            .cache
            .as_ref()
            .map_or(0, TileCache::bytes)
    }

    /// Tiles waiting or being computed.
    #[must_use]
    pub fn pending(&self) -> usize {
        let state = self.shared.lock();
        let cache = state.cache.as_ref();
        state
            .wanted
            .iter()
            .filter(|k| !cache.is_some_and(|c| c.contains(k)))
            .count()
    }
}

impl Drop for TileEngine {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.work.notify_all();
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

/// `(level, total columns)` of a recording's summary for these parameters.
fn summary_shape(entry: &RecordingEntry, params: &SpectrogramParams) -> Option<(u8, usize)> {
    params.validate(entry.sample_rate_hz).ok()?;
    let stft_bands = params.bands(entry.sample_rate_hz);
    let frames = params.frame_count(usize::try_from(entry.frame_count).unwrap_or(usize::MAX));
    let max_columns = (SUMMARY_MAX_BYTES / (stft_bands.max(1) * 4)).max(1);
    let mut level = SUMMARY_MIN_LEVEL;
    while frames.div_ceil(1 << level) > max_columns && level < 40 {
        level += 1;
    }
    Some((level, frames.div_ceil(1 << level)))
}

/// A coarse tile averaged from a summary (`None` if the summary has not reached it yet).
fn summary_tile(summary: &Summary, key: &TileKey) -> Option<Tile> {
    let factor = 1_usize << (key.level - summary.level);
    let first = usize::try_from(key.index).ok()? * TILE_COLUMNS * factor;
    let columns = summary.columns.read().ok()?;
    let bands = summary.bands;
    let done = columns.len() / bands.max(1);
    if first >= done {
        return None;
    }
    let end = (first + TILE_COLUMNS * factor).min(done);
    let mut db = average_power(
        &columns[first * bands..end * bands],
        end - first,
        bands,
        factor,
    );
    drop(columns);
    power_to_db_in_place(&mut db, summary.min_power);
    Some(Tile {
        key: *key,
        columns: db.len() / bands.max(1),
        bands,
        db,
    })
}

/// Per-thread resources: readers and STFTs are reused across tiles.
#[derive(Default)]
struct WorkerCache {
    readers: HashMap<RecordingId, AudioReader>,
    stfts: HashMap<(SpectrogramParams, u32), Stft>,
}

impl WorkerCache {
    fn reader(
        &mut self,
        shared: &Shared,
        id: RecordingId,
        channel: ChannelMode,
    ) -> Result<&mut AudioReader, SpectrogramError> {
        let reader = match self.readers.entry(id) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let state = shared.lock();
                let entry = state.recordings.get(&id).ok_or(SpectrogramError::Closed)?;
                slot.insert(entry.reader.try_clone()?)
            }
        };
        reader.set_channel_mode(channel)?;
        Ok(reader)
    }

    fn stft(
        &mut self,
        params: &SpectrogramParams,
        sample_rate_hz: u32,
    ) -> Result<Stft, SpectrogramError> {
        if let Some(stft) = self.stfts.get(&(*params, sample_rate_hz)) {
            return Ok(stft.clone());
        }
        let stft = Stft::new(params, sample_rate_hz)?;
        self.stfts.insert((*params, sample_rate_hz), stft.clone());
        Ok(stft)
    }
}

fn push_error(state: &mut State, error: &SpectrogramError) {
    let message = error.to_string();
    if state.errors.len() < MAX_ERRORS && !state.errors.contains(&message) {
        state.errors.push(message);
    }
}

fn tile_worker(shared: &Shared) {
    let mut resources = WorkerCache::default();
    loop {
        let Some((key, frame_count, sample_rate_hz)) = shared.next_job(next_tile) else {
            return;
        };
        let result = resources
            .stft(&key.params, sample_rate_hz)
            .and_then(|stft| {
                let reader = resources.reader(shared, key.recording, key.channel)?;
                compute_tile(reader, &stft, &key, frame_count)
            });
        let mut state = shared.lock();
        state.in_flight.remove(&key);
        match result {
            Ok(tile) => {
                if let Some(cache) = state.cache.as_mut() {
                    cache.insert(Arc::new(tile));
                }
            }
            Err(error) => {
                state.wanted.retain(|k| *k != key);
                push_error(&mut state, &error);
            }
        }
        drop(state);
        (shared.waker)();
    }
}

/// The most urgent wanted tile that is below its summary's level, not cached and not being
/// computed; marks it in flight.
fn next_tile(state: &mut State) -> Option<(TileKey, u64, u32)> {
    let State {
        cache,
        recordings,
        wanted,
        in_flight,
        ..
    } = state;
    let key = wanted.iter().copied().find(|key| {
        !in_flight.contains(key)
            && !cache.as_ref().is_some_and(|c| c.contains(key))
            && recordings
                .get(&key.recording)
                .and_then(|entry| summary_shape(entry, &key.params))
                .is_some_and(|(level, _)| key.level < level)
    })?;
    let entry = recordings.get(&key.recording)?;
    in_flight.insert(key);
    Some((key, entry.frame_count, entry.sample_rate_hz))
}

/// A tile computed from audio: the STFT of its frames, averaged in power, in dB.
fn compute_tile(
    reader: &mut AudioReader,
    stft: &Stft,
    key: &TileKey,
    frame_count: u64,
) -> Result<Tile, SpectrogramError> {
    let params = stft.params();
    let total_frames =
        params.frame_count(usize::try_from(frame_count).unwrap_or(usize::MAX)) as u64;
    let first = key.first_frame();
    let end = (first + key.frame_span()).min(total_frames);
    let bands = stft.bands();
    let factor = usize::try_from(key.frames_per_column()).unwrap_or(usize::MAX);
    let frames = usize::try_from(end.saturating_sub(first)).unwrap_or(0);
    let mut columns = ColumnAverager::new(frames.div_ceil(factor), bands, factor);
    if frames > 0 {
        let hop = u64::from(params.hop_len);
        let start_sample = first * hop;
        let end_sample = (end - 1) * hop + u64::from(params.window_len);
        stream_spectrogram(
            reader,
            stft,
            start_sample,
            end_sample,
            false,
            |block_first, power: &[f32], count| {
                columns.add(block_first, &power[..count * bands]);
            },
        )?;
    }
    let mut db = columns.finish();
    stft.power_to_db(&mut db);
    Ok(Tile {
        key: *key,
        columns: db.len() / bands.max(1),
        bands,
        db,
    })
}

/// Sums frames of power into columns of `factor` frames and averages them at the end (frames
/// arrive in blocks that need not line up with columns).
struct ColumnAverager {
    bands: usize,
    factor: usize,
    sums: Vec<f32>,
    counts: Vec<u32>,
}

impl ColumnAverager {
    fn new(columns: usize, bands: usize, factor: usize) -> Self {
        Self {
            bands,
            factor,
            sums: vec![0.0; columns * bands],
            counts: vec![0; columns],
        }
    }

    /// Adds frames starting at frame `first_frame` (relative to column 0).
    fn add(&mut self, first_frame: usize, frames: &[f32]) {
        for (i, frame) in frames.chunks_exact(self.bands).enumerate() {
            let column = (first_frame + i) / self.factor;
            let Some(count) = self.counts.get_mut(column) else {
                continue;
            };
            *count += 1;
            for (d, s) in self.sums[column * self.bands..(column + 1) * self.bands]
                .iter_mut()
                .zip(frame)
            {
                *d += s;
            }
        }
    }

    /// Average power of the columns that received frames.
    fn finish(mut self) -> Vec<f32> {
        let filled = self.counts.iter().take_while(|c| **c > 0).count();
        self.sums.truncate(filled * self.bands);
        for (column, count) in self.counts.iter().take(filled).enumerate() {
            let scale = 1.0 / *count as f32;
            for v in &mut self.sums[column * self.bands..(column + 1) * self.bands] {
                *v *= scale;
            }
        }
        self.sums
    }
}

fn summary_worker(shared: &Shared) {
    let mut resources = WorkerCache::default();
    loop {
        let Some((key, summary, frame_count, sample_rate_hz)) = shared.next_job(next_summary)
        else {
            return;
        };
        if let Err(error) = fill_summary(
            shared,
            &mut resources,
            &key,
            &summary,
            frame_count,
            sample_rate_hz,
        ) {
            let mut state = shared.lock();
            state.wanted_summaries.retain(|k| *k != key);
            push_error(&mut state, &error);
        }
        (shared.waker)();
    }
}

/// The most urgent wanted summary that is not complete (created if new).
fn next_summary(state: &mut State) -> Option<(SpectrogramKey, Arc<Summary>, u64, u32)> {
    let wanted = state.wanted_summaries.clone();
    for key in wanted {
        let Some(entry) = state.recordings.get(&key.recording) else {
            continue;
        };
        let (frame_count, sample_rate_hz) = (entry.frame_count, entry.sample_rate_hz);
        if !state.summaries.contains_key(&key) {
            let (level, total_columns) = summary_shape(entry, &key.params)?;
            let bands = key.params.bands(sample_rate_hz);
            let summary = Summary {
                level,
                bands,
                total_columns,
                min_power: 10.0_f32.powf(f32::from(key.params.floor_db) / 10.0),
                columns: RwLock::new(Vec::new()),
                overview: RwLock::new(Overview::new(
                    total_columns,
                    bands,
                    f32::from(key.params.floor_db),
                )),
            };
            let clock = state.summary_clock;
            state.summaries.insert(key, (Arc::new(summary), clock));
            while state.summaries.len() > MAX_SUMMARIES {
                let oldest = state
                    .summaries
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    state.summaries.remove(&oldest);
                }
            }
        }
        if let Some((summary, _)) = state.summaries.get(&key)
            && summary.columns_done() < summary.total_columns
        {
            return Some((key, Arc::clone(summary), frame_count, sample_rate_hz));
        }
    }
    None
}

/// Streams the recording from where the summary stopped to its end, appending pooled columns;
/// stops early (keeping its progress) when the view no longer wants it or a more urgent one.
fn fill_summary(
    shared: &Shared,
    resources: &mut WorkerCache,
    key: &SpectrogramKey,
    summary: &Summary,
    frame_count: u64,
    sample_rate_hz: u32,
) -> Result<(), SpectrogramError> {
    let stft = resources.stft(&key.params, sample_rate_hz)?;
    let reader = resources.reader(shared, key.recording, key.channel)?;
    let params = *stft.params();
    let factor = 1_usize << summary.level;
    let bands = summary.bands;
    let total_frames = params.frame_count(usize::try_from(frame_count).unwrap_or(usize::MAX));
    // Work in slices of 16 summary columns so that a change of view is noticed quickly.
    let slice_frames = 16 * factor;
    loop {
        let done = summary.columns_done();
        if done >= summary.total_columns {
            return Ok(());
        }
        let superseded = {
            let state = shared.lock();
            state.shutdown
                || state.wanted_summaries.iter().find(|k| {
                    state
                        .summaries
                        .get(k)
                        .is_some_and(|(s, _)| s.columns_done() < s.total_columns)
                }) != Some(key)
        };
        if superseded {
            return Ok(());
        }
        let first_frame = done * factor;
        let end_frame = (first_frame + slice_frames).min(total_frames);
        let hop = u64::from(params.hop_len);
        let start_sample = first_frame as u64 * hop;
        let end_sample = (end_frame as u64 - 1) * hop + u64::from(params.window_len);
        let mut averager =
            ColumnAverager::new((end_frame - first_frame).div_ceil(factor), bands, factor);
        let computed = stream_spectrogram(
            reader,
            &stft,
            start_sample,
            end_sample,
            false,
            |block_first, power: &[f32], count| {
                averager.add(block_first, &power[..count * bands]);
            },
        )?;
        let averaged = averager.finish();
        if let Ok(mut columns) = summary.columns.write() {
            columns.extend_from_slice(&averaged);
            if computed < end_frame - first_frame {
                // The audio ended early (a truncated file): close the summary with silence.
                let total = summary.total_columns * bands;
                let padding = total - columns.len().min(total);
                columns.extend(std::iter::repeat_n(0.0, padding));
            }
            let now_done = columns.len() / bands;
            if let Ok(mut overview) = summary.overview.write() {
                overview.update(
                    &columns,
                    done,
                    now_done,
                    summary.total_columns,
                    bands,
                    summary.min_power,
                );
            }
        }
        (shared.waker)();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overview_maps_linearly_and_fills_progressively() {
        // 2500 summary columns of 3 bands into 1024 overview columns.
        let (total, bands) = (2500, 3);
        let summary: Vec<f32> = (0..total * bands)
            .map(|i| if (i / bands) < 1250 { 1.0 } else { 100.0 })
            .collect();
        let mut overview = Overview::new(total, bands, -120.0);
        assert_eq!((overview.columns, overview.rows), (1024, 3));
        overview.update(&summary, 0, 1000, total, bands, 1e-12);
        assert!((overview.progress - 0.4).abs() < 1e-6);
        assert!(
            overview.columns_done <= 410 && overview.columns_done >= 408,
            "{}",
            overview.columns_done
        );
        assert_eq!(overview.db[1023 * 3], -120.0, "not reached yet");
        overview.update(&summary, 1000, total, total, bands, 1e-12);
        assert_eq!(overview.columns_done, 1024);
        // Half the recording at 0 dB, half at 20 dB, split in the middle of the picture.
        assert!(overview.db[100 * 3].abs() < 1e-3 && (overview.db[900 * 3] - 20.0).abs() < 1e-3);
        assert!(overview.db[511 * 3].abs() < 1e-3 && (overview.db[513 * 3] - 20.0).abs() < 1e-3);
    }
}
