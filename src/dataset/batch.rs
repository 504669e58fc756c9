//! Model inputs from cached windows: the crop, augmentation and normalisation one sample
//! needs, and whole batches of them.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::augment::{self, Augmentation};
use super::{Dataset, SpectrogramCache};

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
        let window = &self.dataset.windows[index];
        let spec = &self.cache.spec;
        let native = spec.native_frames();
        let bands = self.cache.bands;
        let Some((aug, rng)) = augmentation else {
            let db = self.cache.crop_db(index, window.crop.centre());
            return spec.from_spectrogram(db, native, bands).values;
        };
        let start = if aug.random_crop {
            window.crop.at(rng.random::<f64>())
        } else {
            window.crop.centre()
        };
        let mut db = self.cache.crop_db(index, start).to_vec();
        if aug.gain_db > 0.0 {
            augment::apply_gain(&mut db, rng.random_range(-aug.gain_db..=aug.gain_db));
        }
        if aug.mix_probability > 0.0
            && rng.random::<f32>() < aug.mix_probability
            && !self.background.is_empty()
        {
            let other = self.background[rng.random_range(0..self.background.len())];
            let (source, source_cache) = self.noise.unwrap_or((self.dataset, self.cache));
            if self.noise.is_some() || other != index {
                let other_window = &source.windows[other];
                let background =
                    source_cache.crop_db(other, other_window.crop.at(rng.random::<f64>()));
                if background.len() == db.len() {
                    let (low, high) = aug.mix_snr_db;
                    let snr = if high > low {
                        rng.random_range(low..high)
                    } else {
                        low
                    };
                    augment::mix_at_snr(&mut db, background, snr);
                }
            }
        }
        let mut values = spec.from_spectrogram(&db, native, bands).values;
        let (out_bands, out_frames) = spec.shape();
        augment::mask(
            &mut values,
            out_bands,
            out_frames,
            aug.time_mask_frames,
            aug.frequency_mask_bands,
            rng,
        );
        values
    }

    /// A batch: inputs of `indices` one after another, and their targets (1 = positive).
    #[must_use]
    pub fn batch(
        &self,
        indices: &[usize],
        mut augmentation: Option<(&Augmentation, &mut ChaCha8Rng)>,
    ) -> (Vec<f32>, Vec<f32>) {
        let (bands, frames) = self.shape();
        let mut inputs = Vec::with_capacity(indices.len() * bands * frames);
        let mut targets = Vec::with_capacity(indices.len());
        for &index in indices {
            let aug = augmentation.as_mut().map(|(a, rng)| (*a, &mut **rng));
            inputs.extend(self.input(index, aug));
            targets.push(if self.dataset.windows[index].is_positive() {
                1.0
            } else {
                0.0
            });
        }
        (inputs, targets)
    }
}
