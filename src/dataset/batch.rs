//! Model inputs from cached windows: the crop, augmentation and normalisation one sample
//! needs, and whole batches of them.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::augment::{self, Augmentation};
use super::{Dataset, SpectrogramCache};

/// The random choices behind one augmented input.
#[derive(Debug, Clone, Copy)]
struct Draw {
    /// Where in its crop range the window starts (0–1).
    crop: f64,
    gain_db: Option<f32>,
    /// Background: `(window, where in its crop range, SNR dB)`.
    mix: Option<(usize, f64, f32)>,
    /// Bands moved up (negative: down).
    shift: isize,
    /// Masking: `(seed, most frames, most bands)`.
    mask_seed: Option<(u64, usize, usize)>,
}

impl Draw {
    /// The centre crop, unchanged.
    fn plain() -> Self {
        Self {
            crop: 0.5,
            gain_db: None,
            mix: None,
            shift: 0,
            mask_seed: None,
        }
    }
}

/// Builds model inputs for a dataset from its cache.
#[derive(Debug)]
pub struct InputMaker<'a> {
    pub dataset: &'a Dataset,
    pub cache: &'a SpectrogramCache,
    /// Training negatives that may be mixed in as background.
    background: Vec<usize>,
    /// A noise folder's clips, used as background instead of the negatives when given.
    noise: Option<(&'a Dataset, &'a SpectrogramCache)>,
}

impl<'a> InputMaker<'a> {
    #[must_use]
    pub fn new(dataset: &'a Dataset, cache: &'a SpectrogramCache) -> Self {
        let background = dataset
            .of_split(crate::project::Split::Train)
            .filter(|(i, w)| !w.is_positive() && cache.has(*i))
            .map(|(i, _)| i)
            .collect();
        Self {
            dataset,
            cache,
            background,
            noise: None,
        }
    }

    /// Mixes clips of a noise folder (their own dataset and cache) in as background instead of
    /// the training negatives.
    #[must_use]
    pub fn with_noise(mut self, noise: &'a Dataset, noise_cache: &'a SpectrogramCache) -> Self {
        let clips: Vec<usize> = (0..noise.windows.len())
            .filter(|i| noise_cache.has(*i))
            .collect();
        if !clips.is_empty() {
            self.background = clips;
            self.noise = Some((noise, noise_cache));
        }
        self
    }

    /// `(bands, frames)` of every input.
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        self.cache.spec.shape()
    }

    /// The model input of window `index` (band-major, normalised): its centre crop with no
    /// augmentation when `augmentation` is `None`.
    #[must_use]
    pub fn input(
        &self,
        index: usize,
        augmentation: Option<(&Augmentation, &mut ChaCha8Rng)>,
    ) -> Vec<f32> {
        let draw = match augmentation {
            Some((aug, rng)) => self.draw(index, aug, rng),
            None => Draw::plain(),
        };
        self.input_with(index, &draw)
    }

    /// The random choices of one augmented input.
    fn draw(&self, index: usize, aug: &Augmentation, rng: &mut ChaCha8Rng) -> Draw {
        let crop = if aug.random_crop {
            rng.random::<f64>()
        } else {
            0.5
        };
        let (gain_low, gain_high) = aug.gain_db;
        let gain_db = (gain_high > gain_low).then(|| rng.random_range(gain_low..=gain_high));
        let mut mix = None;
        if aug.mix_probability > 0.0
            && rng.random::<f32>() < aug.mix_probability
            && !self.background.is_empty()
        {
            let other = self.background[rng.random_range(0..self.background.len())];
            let crop = rng.random::<f64>();
            let (low, high) = aug.mix_snr_db;
            let snr = if high > low {
                rng.random_range(low..high)
            } else {
                low
            };
            if self.noise.is_some() || other != index {
                mix = Some((other, crop, snr));
            }
        }
        let shift = if aug.frequency_shift_bands > 0 {
            let most = aug.frequency_shift_bands as i64;
            rng.random_range(-most..=most) as isize
        } else {
            0
        };
        let mask_seed = (aug.time_mask_frames > 0 || aug.frequency_mask_bands > 0).then(|| {
            (
                rng.random::<u64>(),
                aug.time_mask_frames,
                aug.frequency_mask_bands,
            )
        });
        Draw {
            crop,
            gain_db,
            mix,
            shift,
            mask_seed,
        }
    }

    /// The input of window `index` with the choices of `draw`.
    fn input_with(&self, index: usize, draw: &Draw) -> Vec<f32> {
        let window = &self.dataset.windows[index];
        let spec = &self.cache.spec;
        let native = self.cache.crop_frames();
        let bands = self.cache.bands;
        let mut db = self
            .cache
            .crop_db(index, window.crop.at(draw.crop))
            .to_vec();
        if let Some(gain_db) = draw.gain_db {
            augment::apply_gain(&mut db, gain_db);
        }
        if let Some((other, crop, snr_db)) = draw.mix {
            let (source, source_cache) = self.noise.unwrap_or((self.dataset, self.cache));
            let background = source_cache.crop_db(other, source.windows[other].crop.at(crop));
            if background.len() == db.len() {
                // The SNR is the window's, as without context.
                let first = spec.frames_before().min(native);
                let last = (first + spec.native_frames()).min(native);
                augment::mix_at_snr(&mut db, background, snr_db, first * bands..last * bands);
            }
        }
        augment::shift_bands(&mut db, bands, draw.shift);
        let mut values = spec.from_spectrogram(&db, native, bands).values;
        if let Some((seed, max_frames, max_bands)) = draw.mask_seed {
            let context = usize::from(spec.context_frames);
            let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
            augment::mask(
                &mut values,
                spec.shape(),
                context..context + spec.window_frames(),
                max_frames,
                max_bands,
                &mut rng,
            );
        }
        values
    }

    /// Window `index` plain and with each augmentation of `aug` alone at its strongest (the
    /// lowest gain, the lowest SNR, the widest shift), then with all of them drawn at random
    /// as in training: what the Train window's preview shows.
    #[must_use]
    pub fn augmentation_examples(
        &self,
        index: usize,
        aug: &Augmentation,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(String, Vec<f32>)> {
        let mut out = vec![(
            "as recorded".to_owned(),
            self.input_with(index, &Draw::plain()),
        )];
        let (gain_low, gain_high) = aug.gain_db;
        if gain_high > gain_low {
            let draw = Draw {
                gain_db: Some(gain_low),
                ..Draw::plain()
            };
            out.push((
                format!("gain {gain_low:+.0} dB"),
                self.input_with(index, &draw),
            ));
        }
        let background = self
            .background
            .iter()
            .copied()
            .find(|b| self.noise.is_some() || *b != index);
        if aug.mix_probability > 0.0
            && let Some(other) = background
        {
            let snr_db = aug.mix_snr_db.0;
            let draw = Draw {
                mix: Some((other, rng.random::<f64>(), snr_db)),
                ..Draw::plain()
            };
            out.push((
                format!("background at {snr_db:.0} dB SNR"),
                self.input_with(index, &draw),
            ));
        }
        if aug.frequency_shift_bands > 0 {
            let shift = aug.frequency_shift_bands as isize;
            let draw = Draw {
                shift,
                ..Draw::plain()
            };
            out.push((
                format!("shifted {shift} bands up"),
                self.input_with(index, &draw),
            ));
        }
        let draw = self.draw(index, aug, rng);
        out.push((
            "all, as in training".to_owned(),
            self.input_with(index, &draw),
        ));
        out
    }

    /// A batch: inputs of `indices` one after another, and their targets, row-major
    /// `[windows, outputs]` (1 = calling; see [`WindowSpec::targets`](super::WindowSpec::targets)).
    #[must_use]
    pub fn batch(
        &self,
        indices: &[usize],
        mut augmentation: Option<(&Augmentation, &mut ChaCha8Rng)>,
    ) -> (Vec<f32>, Vec<f32>) {
        let (bands, frames) = self.shape();
        let outputs = self.dataset.outputs();
        let mut inputs = Vec::with_capacity(indices.len() * bands * frames);
        let mut targets = Vec::with_capacity(indices.len() * outputs);
        for &index in indices {
            let aug = augmentation.as_mut().map(|(a, rng)| (*a, &mut **rng));
            inputs.extend(self.input(index, aug));
            targets.extend(self.dataset.windows[index].targets(outputs));
        }
        (inputs, targets)
    }
}
