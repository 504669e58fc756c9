//! Recording start times from GUANO and AudioMoth metadata or a `YYYYMMDD_HHMMSS` file name, and
//! the RIFF chunk scan that finds them (and spots truncated WAV files) without reading audio data.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// When a recording's first sample was taken, as far as its metadata or its name tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingStart {
    /// Wall-clock time of the first sample as the recorder wrote it.
    pub local_time: NaiveDateTime,
    /// Offset of `local_time` from UTC in seconds, when the source states one.
    pub utc_offset_secs: Option<i32>,
    /// Where the time came from.
    pub source: StartTimeSource,
}

/// Where a [`RecordingStart`] was read from, most trustworthy first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartTimeSource {
    /// The `Timestamp` field of a GUANO metadata chunk (bat detectors, Wildlife Acoustics, …).
    Guano,
    /// The comment AudioMoth firmware writes ("Recorded at 09:32:00 04/05/2018 (UTC) by …").
    AudioMoth,
    /// A `YYYYMMDD_HHMMSS` pattern in the file name (AudioMoth, Song Meter and most recorders).
    FileName,
}

impl StartTimeSource {
    /// Where the time came from, in words.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Guano => "from its GUANO metadata",
            Self::AudioMoth => "from its AudioMoth comment",
            Self::FileName => "from its name",
        }
    }
}

impl RecordingStart {
    /// The start as people read it: `2020-04-04 10:25:00 UTC`, `… UTC+01:00`, or without a
    /// zone when the source gives none.
    #[must_use]
    pub fn describe(&self) -> String {
        let base = self.local_time.format("%Y-%m-%d %H:%M:%S");
        format!("{base}{}", self.zone(" UTC", " UTC"))
    }

    /// ISO 8601 text, with the UTC offset when known (`2018-05-04T09:32:00Z`).
    #[must_use]
    pub fn to_iso8601(&self) -> String {
        let base = self.local_time.format("%Y-%m-%dT%H:%M:%S%.f");
        format!("{base}{}", self.zone("Z", ""))
    }

    /// The zone after the time: `utc` at offset 0, `prefix±HH:MM` at another, nothing when
    /// the source gives none.
    fn zone(&self, utc: &str, prefix: &str) -> String {
        match self.utc_offset_secs {
            Some(0) => utc.to_owned(),
            Some(offset) => {
                let sign = if offset < 0 { '-' } else { '+' };
                let abs = offset.unsigned_abs();
                format!("{prefix}{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60)
            }
            None => String::new(),
        }
    }
}

/// What a walk over a RIFF/WAVE file's chunk headers found.
#[derive(Debug, Default, Clone)]
pub(crate) struct RiffScan {
    /// Byte offset of the first audio byte of the `data` chunk.
    pub data_offset: Option<u64>,
    /// Length the `data` chunk header declares.
    pub data_declared_len: u64,
    /// Actual length of the file.
    pub file_len: u64,
    /// `LIST/INFO/ICMT` comment (AudioMoth writes its start time there).
    pub comment: Option<String>,
    /// Contents of a `guan` chunk.
    pub guano: Option<String>,
}

impl RiffScan {
    /// Bytes of audio data actually present (less than declared when the file was cut off).
    pub fn data_present_len(&self) -> u64 {
        self.data_offset.map_or(0, |offset| {
            self.data_declared_len
                .min(self.file_len.saturating_sub(offset))
        })
    }
}

/// Longest metadata chunk we read into memory; longer ones are skipped (they are not metadata).
const MAX_TEXT_CHUNK_BYTES: u32 = 256 * 1024;
/// Chunks visited before giving up on a strange file.
const MAX_CHUNKS: usize = 256;

/// Walks the chunk headers of a RIFF/WAVE file, seeking over audio data. Returns `None` for files
/// that are not RIFF/WAVE; never reads more than the headers and small text chunks.
pub(crate) fn scan_riff(path: &Path) -> std::io::Result<Option<RiffScan>> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut header = [0_u8; 12];
    if file.read_exact(&mut header).is_err()
        || &header[0..4] != b"RIFF"
        || &header[8..12] != b"WAVE"
    {
        return Ok(None);
    }
    let mut scan = RiffScan {
        file_len,
        ..RiffScan::default()
    };
    let mut pos: u64 = 12;
    for _ in 0..MAX_CHUNKS {
        let mut chunk_header = [0_u8; 8];
        if file.read_exact(&mut chunk_header).is_err() {
            break;
        }
        let id = [
            chunk_header[0],
            chunk_header[1],
            chunk_header[2],
            chunk_header[3],
        ];
        let len = u32::from_le_bytes([
            chunk_header[4],
            chunk_header[5],
            chunk_header[6],
            chunk_header[7],
        ]);
        let body = pos + 8;
        match &id {
            b"data" => {
                scan.data_offset = Some(body);
                scan.data_declared_len = u64::from(len);
            }
            b"LIST" | b"guan" if len <= MAX_TEXT_CHUNK_BYTES => {
                let mut bytes = Vec::new();
                (&mut file).take(u64::from(len)).read_to_end(&mut bytes)?;
                if &id == b"guan" {
                    scan.guano = Some(String::from_utf8_lossy(&bytes).into_owned());
                } else if let Some(comment) = info_comment(&bytes) {
                    scan.comment = Some(comment);
                }
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        pos = body + u64::from(len) + u64::from(len % 2);
        if pos >= file_len {
            break;
        }
        file.seek(SeekFrom::Start(pos))?;
    }
    Ok(Some(scan))
}

/// The `ICMT` text of a `LIST` chunk body of type `INFO`.
fn info_comment(list: &[u8]) -> Option<String> {
    if list.get(0..4)? != b"INFO" {
        return None;
    }
    let mut rest = list.get(4..)?;
    while rest.len() >= 8 {
        let id = &rest[0..4];
        let len = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let body = rest.get(8..8 + len.min(rest.len() - 8))?;
        if id == b"ICMT" {
            let text = String::from_utf8_lossy(body);
            return Some(text.trim_end_matches('\0').trim().to_owned());
        }
        let next = 8 + len + len % 2;
        rest = rest.get(next..)?;
    }
    None
}

/// The recording start from whatever the file offers: GUANO first, then an AudioMoth comment,
/// then the file name.
pub(crate) fn recording_start(path: &Path, riff: Option<&RiffScan>) -> Option<RecordingStart> {
    riff.and_then(|scan| scan.guano.as_deref())
        .and_then(parse_guano_timestamp)
        .or_else(|| {
            riff.and_then(|scan| scan.comment.as_deref())
                .and_then(parse_audiomoth_comment)
        })
        .or_else(|| {
            path.file_stem()
                .and_then(|stem| stem.to_str())
                .and_then(parse_file_name_time)
        })
}

/// `Timestamp: 2019-06-01T05:00:00-04:00` (offset, `Z` or none; fractional seconds allowed).
pub(crate) fn parse_guano_timestamp(guano: &str) -> Option<RecordingStart> {
    let value = guano
        .lines()
        .find_map(|line| line.trim().strip_prefix("Timestamp:"))?
        .trim();
    let (naive_text, utc_offset_secs) = split_utc_offset(value);
    let local_time = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(naive_text, fmt).ok())?;
    Some(RecordingStart {
        local_time,
        utc_offset_secs,
        source: StartTimeSource::Guano,
    })
}

/// Splits a trailing `Z`, `±HH:MM` or `±HHMM` off an ISO 8601 time.
fn split_utc_offset(value: &str) -> (&str, Option<i32>) {
    if let Some(naive) = value.strip_suffix('Z') {
        return (naive, Some(0));
    }
    for len in [6, 5] {
        if value.len() <= len || !value.is_char_boundary(value.len() - len) {
            continue;
        }
        let (naive, tail) = value.split_at(value.len() - len);
        let sign = match tail.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => continue,
        };
        let digits: String = tail[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit()) {
            let hours: i32 = digits[0..2].parse().unwrap_or(0);
            let minutes: i32 = digits[2..4].parse().unwrap_or(0);
            return (naive, Some(sign * (hours * 3600 + minutes * 60)));
        }
    }
    (value, None)
}

/// `Recorded at 09:32:00 04/05/2018 (UTC) by AudioMoth …` (newer firmware: `(UTC+1)`,
/// `(UTC-3:30)`). The date is day/month/year.
pub(crate) fn parse_audiomoth_comment(comment: &str) -> Option<RecordingStart> {
    let rest = &comment[comment.find("Recorded at ")? + "Recorded at ".len()..];
    let stamp = rest.get(0..19)?;
    let local_time = NaiveDateTime::parse_from_str(stamp, "%H:%M:%S %d/%m/%Y").ok()?;
    let utc_offset_secs = rest
        .get(19..)
        .and_then(|tail| tail.trim_start().strip_prefix("(UTC"))
        .and_then(|tail| tail.split(')').next())
        .and_then(parse_audiomoth_offset);
    Some(RecordingStart {
        local_time,
        utc_offset_secs,
        source: StartTimeSource::AudioMoth,
    })
}

/// `""` → 0, `"+1"` → 3600, `"-3:30"` → -12600.
fn parse_audiomoth_offset(text: &str) -> Option<i32> {
    if text.is_empty() {
        return Some(0);
    }
    let (sign, body) = match text.as_bytes()[0] {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let mut parts = body.split(':');
    let hours: i32 = parts.next()?.parse().ok()?;
    let minutes: i32 = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Finds `YYYYMMDD_HHMMSS` (or with `-` or `T` between) in a file stem, not inside a longer
/// number, e.g. `SITE3_20180405_093200` → 2018-04-05 09:32:00.
pub(crate) fn parse_file_name_time(stem: &str) -> Option<RecordingStart> {
    let bytes = stem.as_bytes();
    let is_digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    (0..bytes.len().saturating_sub(14)).find_map(|i| {
        let shape_ok = (i..i + 8).all(is_digit)
            && matches!(bytes[i + 8], b'_' | b'-' | b'T')
            && (i + 9..i + 15).all(is_digit)
            && !(i > 0 && is_digit(i - 1))
            && !is_digit(i + 15);
        if !shape_ok {
            return None;
        }
        let number = |from: usize, len: usize| stem[from..from + len].parse::<u32>().ok();
        let date = NaiveDate::from_ymd_opt(
            i32::try_from(number(i, 4)?).ok()?,
            number(i + 4, 2)?,
            number(i + 6, 2)?,
        )?;
        let time =
            NaiveTime::from_hms_opt(number(i + 9, 2)?, number(i + 11, 2)?, number(i + 13, 2)?)?;
        Some(RecordingStart {
            local_time: NaiveDateTime::new(date, time),
            utc_offset_secs: None,
            source: StartTimeSource::FileName,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn audiomoth_comment_in_utc() {
        let start = parse_audiomoth_comment(
            "Recorded at 09:32:00 04/05/2018 (UTC) by AudioMoth 0FE081F80FE081F0 at gain setting 2",
        )
        .unwrap();
        assert_eq!(start.local_time, at("2018-05-04 09:32:00"));
        assert_eq!(start.utc_offset_secs, Some(0));
        assert_eq!(start.to_iso8601(), "2018-05-04T09:32:00Z");
    }

    #[test]
    fn audiomoth_comment_with_offsets() {
        let plus = parse_audiomoth_comment("Recorded at 21:00:00 24/02/2022 (UTC+1) by AudioMoth")
            .unwrap();
        assert_eq!(plus.utc_offset_secs, Some(3600));
        let minus =
            parse_audiomoth_comment("Recorded at 21:00:00 24/02/2022 (UTC-3:30) by").unwrap();
        assert_eq!(minus.utc_offset_secs, Some(-12_600));
        assert_eq!(minus.to_iso8601(), "2022-02-24T21:00:00-03:30");
    }

    #[test]
    fn guano_timestamps() {
        let text =
            "GUANO|Version: 1.0\nMake: Wildlife Acoustics\nTimestamp: 2016-12-01T20:25:00-05:00\n";
        let start = parse_guano_timestamp(text).unwrap();
        assert_eq!(start.local_time, at("2016-12-01 20:25:00"));
        assert_eq!(start.utc_offset_secs, Some(-5 * 3600));
        let zulu = parse_guano_timestamp("Timestamp: 2020-01-01T00:00:01.250Z").unwrap();
        assert_eq!(zulu.utc_offset_secs, Some(0));
        assert_eq!(zulu.to_iso8601(), "2020-01-01T00:00:01.250Z");
        let naive = parse_guano_timestamp("Timestamp: 2020-01-01 00:00:01").unwrap();
        assert_eq!(naive.utc_offset_secs, None);
        assert!(parse_guano_timestamp("Make: nobody").is_none());
    }

    #[test]
    fn file_name_patterns() {
        let start = parse_file_name_time("SITE3_20180405_093200").unwrap();
        assert_eq!(start.local_time, at("2018-04-05 09:32:00"));
        assert_eq!(start.source, StartTimeSource::FileName);
        assert!(parse_file_name_time("20180405T093200").is_some());
        // Not a time: too few digits, part of a longer number, impossible dates.
        assert!(parse_file_name_time("MSD-0003_20180427_2minstart00").is_none());
        assert!(parse_file_name_time("120180405_093200").is_none());
        assert!(parse_file_name_time("20181305_093200").is_none());
        assert!(parse_file_name_time("spinetail").is_none());
    }
}
