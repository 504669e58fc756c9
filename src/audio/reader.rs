//! Opening recordings and streaming reads of any span: "give me frames [a, b) of this file"
//! without decoding or holding the whole file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use symphonia::core::audio::conv::IntoSample;
use symphonia::core::audio::sample::Sample;
use symphonia::core::audio::{Audio, AudioBuffer, GenericAudioBufferRef};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::{Hint, Probe, ProbeOptions};
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::Timestamp;

use super::error::AudioError;
use super::metadata::{RecordingStart, RiffScan, recording_start, scan_riff};
use super::mp3_index::Mp3Index;
use super::source::{CountingFile, HeaderPatch};

/// How multi-channel audio becomes the one channel Syrinx analyses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelMode {
    /// The mean of all channels.
    #[default]
    Mix,
    /// One channel, counting from 0.
    Channel(u16),
}

/// What a recording is, as read from its headers (and checked against its data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingInfo {
    pub path: PathBuf,
    /// Playable frames (samples per channel).
    pub frame_count: u64,
    pub sample_rate_hz: u32,
    pub channels: u16,
    /// Container short name (`wav`, `flac`, `mp3`, `ogg`, `aiff`).
    pub container: String,
    /// Codec short name (`pcm_s16le`, `flac`, `mp3`, `vorbis`, …).
    pub codec: String,
    /// Bits per sample for lossless codecs; `None` for lossy ones.
    pub bits_per_sample: Option<u32>,
    /// Start time from GUANO / AudioMoth metadata or the file name, when present.
    pub start: Option<RecordingStart>,
    /// Problems that did not stop reading (e.g. a truncated file: the readable part is used).
    pub warnings: Vec<String>,
}

impl RecordingInfo {
    #[must_use]
    pub fn duration_secs(&self) -> f64 {
        self.frame_count as f64 / f64::from(self.sample_rate_hz)
    }

    /// The frame nearest to `secs` (clamped to the recording).
    #[must_use]
    pub fn frame_at_secs(&self, secs: f64) -> u64 {
        let frame = (secs.max(0.0) * f64::from(self.sample_rate_hz)).round();
        // Saturating float→int conversion, then clamp to the recording.
        (frame as u64).min(self.frame_count)
    }
}

/// Reads spans of one recording. Sequential reads continue decoding where the last one stopped;
/// other reads seek (sample-accurately) first.
#[derive(Debug)]
pub struct AudioReader {
    info: Arc<RecordingInfo>,
    mp3_index: Option<Arc<Mp3Index>>,
    channel_mode: ChannelMode,
    access: FileAccess,
    stream: Option<DecodeStream>,
    /// Decoded, channel-mixed frames not yet handed out, starting at frame `pending_start`.
    pending: Vec<f32>,
    pending_start: i64,
    /// The furthest frame any decode has reached (finds the real end of truncated files).
    decoded_end: i64,
    warnings: Vec<String>,
    /// Whether NaN or infinite samples were already reported (once per reader, not per packet).
    non_finite_reported: bool,
}

/// A demuxer + decoder pair positioned somewhere in the file.
struct DecodeStream {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    timeline: Timeline,
    /// Added to every converted timestamp (MP3 streams opened mid-file count from 0).
    frame_offset: i64,
    ended: bool,
    /// Channels in the last decoded buffer (for streams whose header does not say).
    channels_seen: usize,
}

impl std::fmt::Debug for DecodeStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeStream")
            .field("track_id", &self.track_id)
            .field("frame_offset", &self.frame_offset)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// Converts a track's timestamps to frame indices.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    numer: i64,
    denom: i64,
    sample_rate_hz: i64,
}

impl Timeline {
    fn ts_to_frames(self, ts: i64) -> i64 {
        if self.numer == 1 && self.denom == self.sample_rate_hz {
            return ts;
        }
        let frames = i128::from(ts) * i128::from(self.numer) * i128::from(self.sample_rate_hz)
            / i128::from(self.denom);
        i64::try_from(frames).unwrap_or(i64::MAX)
    }

    fn frames_to_ts(self, frames: i64) -> i64 {
        if self.numer == 1 && self.denom == self.sample_rate_hz {
            return frames;
        }
        let ts = i128::from(frames) * i128::from(self.denom)
            / (i128::from(self.numer) * i128::from(self.sample_rate_hz));
        i64::try_from(ts).unwrap_or(i64::MAX)
    }
}

/// Most bytes of junk skipped while looking for a format marker. Small, so that random bytes are
/// not mistaken for an MP3 stream found somewhere in the middle.
const MAX_PROBE_DEPTH_BYTES: u32 = 16 * 1024;
/// Packets tried at open before declaring the file undecodable.
const MAX_UNDECODABLE_PACKETS_AT_OPEN: usize = 16;
/// How far ahead of the decoded position a read may start before seeking beats decoding on.
const FORWARD_DECODE_SECS: f64 = 0.5;
/// MP3 frames decoded before the wanted one after a seek: the bit reservoir may point up to 511
/// bytes back, and the first frame's overlap-add needs its predecessor.
const MP3_PREROLL_BYTES: u64 = 1024;
const MP3_MIN_PREROLL_FRAMES: usize = 2;

fn probe() -> &'static Probe {
    static PROBE: OnceLock<Probe> = OnceLock::new();
    PROBE.get_or_init(|| {
        let mut probe = Probe::new_with_options(&ProbeOptions {
            max_probe_depth: MAX_PROBE_DEPTH_BYTES,
            ..ProbeOptions::default()
        });
        symphonia::default::register_enabled_formats(&mut probe);
        probe
    })
}

impl AudioReader {
    /// Opens a recording: probes the container, checks that audio decodes, and works out its true
    /// length (a truncated file reports its readable part and a warning).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AudioError> {
        let path = path.as_ref();
        let file_len = std::fs::metadata(path)
            .map_err(|source| AudioError::Open {
                path: path.to_path_buf(),
                source,
            })?
            .len();
        if file_len == 0 {
            return Err(AudioError::EmptyFile {
                path: path.to_path_buf(),
            });
        }
        let riff = scan_riff(path).ok().flatten();
        let mut warnings = Vec::new();
        let mut header_patches = Vec::new();
        if let Some(scan) = &riff {
            let Some(data_offset) = scan.data_offset else {
                return Err(AudioError::NoSamples {
                    path: path.to_path_buf(),
                });
            };
            let present = scan.data_present_len();
            if scan.data_declared_len == 0 || scan.data_declared_len == u64::from(u32::MAX) {
                // Recorders that lose power never write the final sizes.
                warnings.push(
                    "the WAV header's data size was never written (was the recording interrupted?); \
                     reading all the audio that is present"
                        .to_owned(),
                );
            } else if present < scan.data_declared_len {
                warnings.push(format!(
                    "the file is truncated: its header promises {} bytes of audio but only {present} are present; \
                     reading the audio that is present",
                    scan.data_declared_len
                ));
            }
            header_patches = wav_header_patches(scan, data_offset, file_len);
        }
        let access = FileAccess {
            path: path.to_path_buf(),
            bytes_read: Arc::new(AtomicU64::new(0)),
            header_patches: header_patches.into(),
        };
        let mut stream = access.open_stream(0)?;

        let track = stream
            .format
            .tracks()
            .iter()
            .find(|t| t.id == stream.track_id)
            .cloned()
            .ok_or_else(|| AudioError::NoAudioTrack {
                path: path.to_path_buf(),
            })?;
        let params = stream.decoder.codec_params().clone();
        // A rate of 0 (a damaged header) would make every duration infinite.
        let sample_rate_hz =
            params
                .sample_rate
                .filter(|rate| *rate > 0)
                .ok_or_else(|| AudioError::Corrupt {
                    path: path.to_path_buf(),
                    detail: "the header gives no sample rate".to_owned(),
                })?;
        let container = match stream.format.format_info().short_name {
            "wave" => "wav".to_owned(),
            other => other.to_owned(),
        };
        let codec = stream.decoder.codec_info().short_name.to_owned();

        let mp3_index = if container == "mp3" {
            Mp3Index::build(path)
                .map_err(|e| AudioError::Io {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                })?
                .map(|mut index| {
                    index.delay_frames = track.delay.unwrap_or(0);
                    Arc::new(index)
                })
        } else {
            None
        };

        let mut frame_count = track.num_frames;
        if let Some(index) = &mp3_index {
            // The index counts what is really there; the Xing header only what the encoder wrote.
            let trimmed =
                u64::from(track.delay.unwrap_or(0)) + u64::from(track.padding.unwrap_or(0));
            let indexed = index.total_samples().saturating_sub(trimmed);
            if let Some(declared) = frame_count
                && index.has_info_frame
                && declared > indexed + u64::from(index.samples_per_frame)
            {
                warnings.push(truncation_warning(declared, indexed, sample_rate_hz));
            }
            frame_count = Some(indexed);
        }

        let channels = u16::try_from(channel_count(&params, &stream)).unwrap_or(u16::MAX);
        let bits_per_sample = bits_per_sample(&codec, params.bits_per_sample);
        let mut reader = Self {
            info: Arc::new(RecordingInfo {
                path: path.to_path_buf(),
                frame_count: frame_count.unwrap_or(0),
                sample_rate_hz,
                channels,
                container,
                codec,
                bits_per_sample,
                start: recording_start(path, riff.as_ref()),
                warnings: Vec::new(),
            }),
            mp3_index,
            channel_mode: ChannelMode::Mix,
            access,
            stream: None,
            pending: Vec::new(),
            pending_start: 0,
            decoded_end: 0,
            warnings: Vec::new(),
            non_finite_reported: false,
        };

        // Decode the first packets now: a file that probes but does not decode (random bytes
        // that happen to look like an MP3 frame header) is rejected here with a clear error.
        let first = reader.decode_first(&mut stream)?;
        if frame_count.is_none() {
            let counted = reader.access.count_frames()?;
            reader.info_mut().frame_count = counted;
        }
        reader.pending_start = first;
        reader.stream = Some(stream);
        if reader.info.frame_count == 0 {
            return Err(AudioError::NoSamples {
                path: path.to_path_buf(),
            });
        }
        // WAV lengths were checked against the file size and MP3 lengths come from the frame
        // index; other formats are checked by reading their last second.
        if riff.is_none() && reader.mp3_index.is_none() {
            reader.check_end(&mut warnings);
        }
        reader.info_mut().warnings = warnings;
        Ok(reader)
    }

    /// Another reader of the same file, sharing what was learnt at open (no second probe of the
    /// length or MP3 index). Each reader is used from one thread; clone one per worker.
    pub fn try_clone(&self) -> Result<Self, AudioError> {
        Ok(Self {
            info: Arc::clone(&self.info),
            mp3_index: self.mp3_index.clone(),
            channel_mode: self.channel_mode,
            access: FileAccess {
                path: self.access.path.clone(),
                bytes_read: Arc::new(AtomicU64::new(0)),
                header_patches: Arc::clone(&self.access.header_patches),
            },
            stream: None,
            pending: Vec::new(),
            pending_start: 0,
            decoded_end: 0,
            warnings: Vec::new(),
            non_finite_reported: false,
        })
    }

    #[must_use]
    pub fn info(&self) -> &RecordingInfo {
        &self.info
    }

    #[must_use]
    pub fn channel_mode(&self) -> ChannelMode {
        self.channel_mode
    }

    /// Chooses how channels are combined; decoded-but-unread audio is dropped.
    pub fn set_channel_mode(&mut self, mode: ChannelMode) -> Result<(), AudioError> {
        if let ChannelMode::Channel(channel) = mode
            && channel >= self.info.channels
        {
            return Err(AudioError::ChannelOutOfRange {
                path: self.info.path.clone(),
                channel,
                channels: self.info.channels,
            });
        }
        if mode != self.channel_mode {
            self.channel_mode = mode;
            self.pending.clear();
            self.stream = None;
        }
        Ok(())
    }

    /// Bytes this reader has pulled from disk so far.
    #[must_use]
    pub fn bytes_read(&self) -> u64 {
        self.access.bytes_read.load(Ordering::Relaxed)
    }

    /// Warnings met by reads since the last call (corrupt packets replaced by silence, an early
    /// end of file).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Frames `[start_frame, start_frame + frame_count)` as one channel of `f32` in [-1, 1].
    /// The span is clamped to the recording, so fewer frames come back near its end.
    pub fn read_frames(
        &mut self,
        start_frame: u64,
        frame_count: usize,
    ) -> Result<Vec<f32>, AudioError> {
        let mut out = Vec::new();
        self.read_frames_into(start_frame, frame_count, &mut out)?;
        Ok(out)
    }

    /// The span `[start_secs, end_secs)`, clamped to the recording.
    pub fn read_secs(&mut self, start_secs: f64, end_secs: f64) -> Result<Vec<f32>, AudioError> {
        let start = self.info.frame_at_secs(start_secs);
        let end = self.info.frame_at_secs(end_secs).max(start);
        self.read_frames(start, usize::try_from(end - start).unwrap_or(usize::MAX))
    }

    /// Like [`read_frames`](Self::read_frames), reusing `out`'s allocation.
    pub fn read_frames_into(
        &mut self,
        start_frame: u64,
        frame_count: usize,
        out: &mut Vec<f32>,
    ) -> Result<(), AudioError> {
        out.clear();
        let total = self.info.frame_count;
        let start = start_frame.min(total);
        let end = start.saturating_add(frame_count as u64).min(total);
        if start == end {
            return Ok(());
        }
        let start = i64::try_from(start).unwrap_or(i64::MAX);
        let end = i64::try_from(end).unwrap_or(i64::MAX);
        out.reserve(usize::try_from(end - start).unwrap_or(0));
        if !self.can_continue_to(start) {
            self.seek(start)?;
        }
        let mut stream = self.stream.take();
        let result = self.fill(stream.as_mut(), start, end, out);
        self.stream = stream;
        result?;
        let got = out.len() as i64;
        if got < end - start {
            let readable = u64::try_from(start + got).unwrap_or(0);
            self.warnings.push(format!(
                "audio ends at {:.3} s, before the {:.3} s the header promises (truncated file?): {}",
                readable as f64 / f64::from(self.info.sample_rate_hz),
                self.info.duration_secs(),
                self.info.path.display()
            ));
        }
        Ok(())
    }

    fn info_mut(&mut self) -> &mut RecordingInfo {
        Arc::make_mut(&mut self.info)
    }

    fn pending_end(&self) -> i64 {
        self.pending_start + self.pending.len() as i64
    }

    /// Whether frame `start` can be reached by decoding on from where the stream is.
    fn can_continue_to(&self, start: i64) -> bool {
        let Some(stream) = &self.stream else {
            return false;
        };
        if start < self.pending_start {
            return false;
        }
        if start < self.pending_end() {
            return true;
        }
        let ahead = (FORWARD_DECODE_SECS * f64::from(self.info.sample_rate_hz)) as i64;
        !stream.ended && start <= self.pending_end() + ahead
    }

    /// Copies frames `[start, end)` into `out`, decoding as needed.
    fn fill(
        &mut self,
        mut stream: Option<&mut DecodeStream>,
        start: i64,
        end: i64,
        out: &mut Vec<f32>,
    ) -> Result<(), AudioError> {
        loop {
            let want = start + out.len() as i64;
            if want >= end {
                return Ok(());
            }
            if want < self.pending_start && !self.pending.is_empty() {
                // A gap before the next decoded frame (a packet that failed to decode): silence.
                let gap_end = self.pending_start.min(end);
                out.resize(
                    out.len() + usize::try_from(gap_end - want).unwrap_or(0),
                    0.0,
                );
                continue;
            }
            if want < self.pending_end() {
                let from = usize::try_from(want - self.pending_start).unwrap_or(0);
                let to =
                    usize::try_from(self.pending_end().min(end) - self.pending_start).unwrap_or(0);
                out.extend_from_slice(&self.pending[from..to]);
                continue;
            }
            let Some(stream) = stream.as_deref_mut() else {
                return Ok(());
            };
            self.pending.clear();
            match stream.decode_next(self.channel_mode, &mut self.pending, &self.info.path)? {
                Decoded::Audio { first_frame } => {
                    self.pending_start = first_frame;
                    self.decoded_end = self.decoded_end.max(self.pending_end());
                    self.silence_non_finite(first_frame);
                }
                Decoded::Skipped(reason) => self.warnings.push(reason),
                Decoded::End => return Ok(()),
            }
        }
    }

    /// Replaces NaN and infinite samples in the packet just decoded (starting at `first_frame`)
    /// with silence, with a warning the first time. Float WAVs can hold them and a damaged MP3
    /// can decode to them (found by the `audio_file` fuzz target); one would turn a whole
    /// spectrogram column, or a training batch's loss, into NaN.
    fn silence_non_finite(&mut self, first_frame: i64) {
        let mut count = 0_usize;
        for sample in &mut self.pending {
            if !sample.is_finite() {
                *sample = 0.0;
                count += 1;
            }
        }
        if count > 0 && !self.non_finite_reported {
            self.non_finite_reported = true;
            self.warnings.push(format!(
                "{count} sample(s) that are not numbers (NaN or infinity) near {:.3} s were replaced by silence: {}",
                first_frame.max(0) as f64 / f64::from(self.info.sample_rate_hz),
                self.info.path.display()
            ));
        }
    }

    /// Positions the stream so the next decoded audio starts at or before frame `target`.
    fn seek(&mut self, target: i64) -> Result<(), AudioError> {
        self.pending.clear();
        self.pending_start = target;
        if let Some(index) = &self.mp3_index {
            let stream = self.open_mp3_at(index, target)?;
            self.stream = Some(stream);
            return Ok(());
        }
        let mut stream = match self.stream.take() {
            Some(stream) => stream,
            None => self.access.open_stream(0)?,
        };
        let ts = stream.timeline.frames_to_ts(target);
        let seek = stream.format.seek(
            SeekMode::Accurate,
            SeekTo::Timestamp {
                ts: Timestamp::new(ts),
                track_id: stream.track_id,
            },
        );
        match seek {
            Ok(_) => {
                stream.decoder.reset();
                stream.ended = false;
            }
            Err(_) => {
                // Unseekable stream: decode from the start; correct, only slower.
                stream = self.access.open_stream(0)?;
            }
        }
        self.stream = Some(stream);
        Ok(())
    }

    /// Opens the MP3 at a frame a little before the one holding `target`.
    fn open_mp3_at(&self, index: &Mp3Index, target: i64) -> Result<DecodeStream, AudioError> {
        let delay = i64::from(index.delay_frames);
        let spf = i64::from(index.samples_per_frame);
        let offset_of = |frame: usize| index.frame_offsets.get(frame).copied().unwrap_or(0);
        let last = index.frame_offsets.len().saturating_sub(1);
        let wanted = usize::try_from((target + delay).max(0) / spf)
            .unwrap_or(usize::MAX)
            .min(last);
        // Start far enough back that the frame before `wanted` finds its bit reservoir.
        let anchor = offset_of(wanted.saturating_sub(1));
        let mut first = wanted.saturating_sub(MP3_MIN_PREROLL_FRAMES);
        while first > 0 && anchor.saturating_sub(offset_of(first)) < MP3_PREROLL_BYTES {
            first -= 1;
        }
        if first == 0 {
            // Near the start the whole-file reader handles delay trimming itself.
            return self.access.open_stream(0);
        }
        let mut stream = self.access.open_stream(offset_of(first))?;
        stream.frame_offset = i64::try_from(first).unwrap_or(i64::MAX) * spf - delay;
        Ok(stream)
    }
}

impl AudioReader {
    /// Decodes until the first audio arrives; rejects files whose packets do not decode.
    fn decode_first(&mut self, stream: &mut DecodeStream) -> Result<i64, AudioError> {
        let path = self.info.path.clone();
        let mut problems = Vec::new();
        for _ in 0..MAX_UNDECODABLE_PACKETS_AT_OPEN {
            self.pending.clear();
            match stream.decode_next(self.channel_mode, &mut self.pending, &path)? {
                Decoded::Audio { first_frame } => {
                    self.decoded_end = first_frame + self.pending.len() as i64;
                    self.warnings.extend(problems);
                    self.silence_non_finite(first_frame);
                    return Ok(first_frame);
                }
                Decoded::Skipped(problem) => problems.push(problem),
                Decoded::End if problems.is_empty() => return Err(AudioError::NoSamples { path }),
                Decoded::End => break,
            }
        }
        Err(AudioError::Corrupt {
            path,
            detail: format!(
                "no decodable audio at the start of the file{}",
                problems
                    .first()
                    .map(|p| format!("; first problem: {p}"))
                    .unwrap_or_default()
            ),
        })
    }

    /// Reads the last second to check the header's length; a file cut short gets its readable
    /// length and a warning.
    fn check_end(&mut self, warnings: &mut Vec<String>) {
        let total = self.info.frame_count;
        let tail_start = total.saturating_sub(u64::from(self.info.sample_rate_hz));
        let mut tail = Vec::new();
        let complete = self
            .read_frames_into(
                tail_start,
                usize::try_from(total - tail_start).unwrap_or(0),
                &mut tail,
            )
            .is_ok()
            && tail.len() as u64 == total - tail_start;
        self.warnings.clear();
        if complete {
            return;
        }
        // The tail read decodes on from wherever the seek landed, so `decoded_end` knows how far
        // the audio goes when the file ends before the tail starts.
        let readable = if tail.is_empty() {
            u64::try_from(self.decoded_end).unwrap_or(0).min(tail_start)
        } else {
            tail_start + tail.len() as u64
        };
        if readable < total {
            warnings.push(truncation_warning(
                total,
                readable,
                self.info.sample_rate_hz,
            ));
            self.info_mut().frame_count = readable;
        }
    }
}

fn truncation_warning(declared_frames: u64, present_frames: u64, sample_rate_hz: u32) -> String {
    let rate = f64::from(sample_rate_hz);
    format!(
        "the file is truncated: its header promises {:.3} s of audio but only {:.3} s can be read",
        declared_frames as f64 / rate,
        present_frames as f64 / rate
    )
}

fn channel_count(
    params: &symphonia::core::codecs::audio::AudioCodecParameters,
    stream: &DecodeStream,
) -> usize {
    params.channels.as_ref().map_or(
        stream.channels_seen.max(1),
        symphonia::core::audio::Channels::count,
    )
}

/// How to open a recording's bytes: its path, a shared count of bytes read, and corrections
/// laid over a damaged WAV header.
#[derive(Debug)]
struct FileAccess {
    path: PathBuf,
    bytes_read: Arc<AtomicU64>,
    header_patches: Arc<[HeaderPatch]>,
}

/// Sizes in a WAV header that do not match the file, corrected so symphonia reads what is there:
/// the RIFF size (a header left unfinished by a recorder that lost power says 0) and the data
/// chunk size (a truncated file has less than it says).
fn wav_header_patches(scan: &RiffScan, data_offset: u64, file_len: u64) -> Vec<HeaderPatch> {
    let riff_len = u32::try_from(file_len.saturating_sub(8)).unwrap_or(u32::MAX);
    let present = scan.data_present_len();
    let data_len = if scan.data_declared_len == 0 || scan.data_declared_len == u64::from(u32::MAX) {
        file_len.saturating_sub(data_offset)
    } else {
        present
    };
    vec![
        HeaderPatch {
            offset: 4,
            bytes: riff_len.to_le_bytes(),
        },
        HeaderPatch {
            offset: data_offset - 4,
            bytes: u32::try_from(data_len).unwrap_or(u32::MAX).to_le_bytes(),
        },
    ]
}

fn bits_per_sample(codec: &str, declared: Option<u32>) -> Option<u32> {
    match codec {
        "mp1" | "mp2" | "mp3" | "vorbis" | "aac" | "opus" => None,
        _ if declared.is_some() => declared,
        c if c.contains("f32") => Some(32),
        c if c.contains("f64") => Some(64),
        _ => None,
    }
}

impl FileAccess {
    /// Counts playable frames by demuxing every packet (no decoding); for streams whose header
    /// does not say how long they are.
    fn count_frames(&self) -> Result<u64, AudioError> {
        let mut stream = self.open_stream(0)?;
        let mut frames = 0_u64;
        while let Ok(Some(packet)) = stream.format.next_packet() {
            if packet.track_id == stream.track_id {
                frames += packet.dur.get();
            }
        }
        let frames = stream
            .timeline
            .ts_to_frames(i64::try_from(frames).unwrap_or(i64::MAX));
        Ok(u64::try_from(frames).unwrap_or(0))
    }

    /// Opens a demuxer and decoder from byte `offset` (0: the whole file).
    fn open_stream(&self, offset: u64) -> Result<DecodeStream, AudioError> {
        let path = self.path.as_path();
        let bytes_read = &self.bytes_read;
        let file = std::fs::File::open(path).map_err(|source| AudioError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let patches = if offset == 0 {
            self.header_patches.to_vec()
        } else {
            Vec::new()
        };
        let source =
            CountingFile::new(file, offset, Arc::clone(bytes_read), patches).map_err(|e| {
                AudioError::Io {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                }
            })?;
        let mss = MediaSourceStream::new(Box::new(source), MediaSourceStreamOptions::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format = probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| match e {
                SymphoniaError::Unsupported(_) => AudioError::UnsupportedFormat {
                    path: path.to_path_buf(),
                },
                SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                    AudioError::Corrupt {
                        path: path.to_path_buf(),
                        detail: "the header is cut off".to_owned(),
                    }
                }
                other => AudioError::from_symphonia(path, &other),
            })?;
        let track =
            format
                .default_track(TrackType::Audio)
                .ok_or_else(|| AudioError::NoAudioTrack {
                    path: path.to_path_buf(),
                })?;
        let track_id = track.id;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| AudioError::NoAudioTrack {
                path: path.to_path_buf(),
            })?
            .clone();
        let sample_rate_hz = params.sample_rate.unwrap_or(1);
        let time_base = track.time_base;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| AudioError::UnsupportedCodec {
                path: path.to_path_buf(),
                detail: format!("{e}; codec id {:?}", params.codec),
            })?;
        let timeline = time_base.map_or(
            Timeline {
                numer: 1,
                denom: i64::from(sample_rate_hz),
                sample_rate_hz: i64::from(sample_rate_hz),
            },
            |tb| Timeline {
                numer: i64::from(tb.numer.get()),
                denom: i64::from(tb.denom.get()),
                sample_rate_hz: i64::from(sample_rate_hz),
            },
        );
        Ok(DecodeStream {
            format,
            decoder,
            track_id,
            timeline,
            frame_offset: 0,
            ended: false,
            channels_seen: 0,
        })
    }
}

/// What one step of decoding produced.
enum Decoded {
    /// Frames were appended; the first of them is this frame of the recording.
    Audio { first_frame: i64 },
    /// A packet could not be decoded and was skipped (the reason, for the user).
    Skipped(String),
    /// No more audio.
    End,
}

impl DecodeStream {
    fn decode_next(
        &mut self,
        mode: ChannelMode,
        out: &mut Vec<f32>,
        path: &Path,
    ) -> Result<Decoded, AudioError> {
        if self.ended {
            return Ok(Decoded::End);
        }
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) | Err(SymphoniaError::ResetRequired) => {
                    // ResetRequired: a chained Ogg stream; Syrinx reads the first one.
                    self.ended = true;
                    return Ok(Decoded::End);
                }
                Err(SymphoniaError::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    self.ended = true;
                    return Ok(Decoded::End);
                }
                Err(SymphoniaError::IoError(e)) => {
                    return Err(AudioError::Io {
                        path: path.to_path_buf(),
                        detail: e.to_string(),
                    });
                }
                Err(e) => {
                    // The container is damaged from here on: keep what was read.
                    self.ended = true;
                    return Ok(Decoded::Skipped(format!(
                        "stopped reading at damaged data ({e}): {}",
                        path.display()
                    )));
                }
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let first_ts = packet
                .pts
                .get()
                .saturating_add(i64::try_from(packet.trim_start.get()).unwrap_or(0));
            match self.decoder.decode(&packet) {
                Ok(buffer) => {
                    if buffer.frames() == 0 {
                        continue;
                    }
                    self.channels_seen = buffer.num_planes();
                    append_mono(&buffer, mode, out);
                    return Ok(Decoded::Audio {
                        first_frame: self.timeline.ts_to_frames(first_ts) + self.frame_offset,
                    });
                }
                Err(SymphoniaError::DecodeError(reason)) => {
                    let at_secs = self.timeline.ts_to_frames(first_ts) + self.frame_offset;
                    return Ok(Decoded::Skipped(format!(
                        "skipped a corrupt packet at frame {at_secs} ({reason}); it reads as silence: {}",
                        path.display()
                    )));
                }
                Err(SymphoniaError::IoError(e)) => {
                    return Ok(Decoded::Skipped(format!(
                        "skipped an unreadable packet ({e}); it reads as silence: {}",
                        path.display()
                    )));
                }
                Err(e) => return Err(AudioError::from_symphonia(path, &e)),
            }
        }
    }
}

/// Appends one channel (mixed or selected) of a decoded buffer as `f32`.
fn append_mono(buffer: &GenericAudioBufferRef<'_>, mode: ChannelMode, out: &mut Vec<f32>) {
    match buffer {
        GenericAudioBufferRef::U8(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::U16(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::U24(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::U32(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::S8(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::S16(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::S24(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::S32(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::F32(b) => append_planes(b, mode, out),
        GenericAudioBufferRef::F64(b) => append_planes(b, mode, out),
    }
}

fn append_planes<S>(buffer: &AudioBuffer<S>, mode: ChannelMode, out: &mut Vec<f32>)
where
    S: Sample + IntoSample<f32>,
{
    let planes = buffer.num_planes();
    let start = out.len();
    let channel = match mode {
        ChannelMode::Channel(c) => usize::from(c).min(planes.saturating_sub(1)),
        ChannelMode::Mix => 0,
    };
    if let Some(plane) = buffer.plane(channel) {
        out.extend(plane.iter().map(|&s| -> f32 { s.into_sample() }));
    }
    if mode == ChannelMode::Mix && planes > 1 {
        for idx in 1..planes {
            if let Some(plane) = buffer.plane(idx) {
                for (acc, &s) in out[start..].iter_mut().zip(plane) {
                    let v: f32 = s.into_sample();
                    *acc += v;
                }
            }
        }
        let scale = 1.0 / planes as f32;
        for v in &mut out[start..] {
            *v *= scale;
        }
    }
}
