//! Drawing, moving and resizing selection boxes: the pure state machine behind the spectrogram's
//! pointer handling. The widget converts pointer positions to time and frequency and feeds them
//! here; hit testing works on screen rectangles so handles have a fixed size in pixels.

use crate::annotation::SelectionId;

/// A point in time and frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfPoint {
    pub secs: f64,
    pub hz: f64,
}

/// A time–frequency box (always normalised: start ≤ end, low ≤ high).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfBox {
    pub start_secs: f64,
    pub end_secs: f64,
    pub low_hz: f64,
    pub high_hz: f64,
}

impl TfBox {
    /// The box spanned by two corners, in any order.
    #[must_use]
    pub fn from_corners(a: TfPoint, b: TfPoint) -> Self {
        Self {
            start_secs: a.secs.min(b.secs),
            end_secs: a.secs.max(b.secs),
            low_hz: a.hz.min(b.hz),
            high_hz: a.hz.max(b.hz),
        }
    }

    /// Keeps the box inside `[0, duration] × [0, nyquist]`, moving it (not shrinking) when it can.
    #[must_use]
    pub fn clamped(self, duration_secs: f64, nyquist_hz: f64) -> Self {
        let shift = |low: f64, high: f64, max: f64| -> (f64, f64) {
            let width = (high - low).min(max);
            let low = low.clamp(0.0, (max - width).max(0.0));
            (low, low + width)
        };
        let (start_secs, end_secs) = shift(self.start_secs, self.end_secs, duration_secs);
        let (low_hz, high_hz) = shift(self.low_hz, self.high_hz, nyquist_hz);
        Self {
            start_secs,
            end_secs,
            low_hz,
            high_hz,
        }
    }
}

/// An edge or corner of a box that can be dragged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Handle {
    Start,
    End,
    Low,
    High,
    StartLow,
    StartHigh,
    EndLow,
    EndHigh,
}

/// A box on screen: pixels, y down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScreenBox {
    pub id: SelectionId,
    pub left: f32,
    pub right: f32,
    pub top: f32,
    pub bottom: f32,
}

/// What the pointer is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Nothing,
    Body(SelectionId),
    Handle(SelectionId, Handle),
}

/// The box under `(x, y)`: handles (within `handle_px` of an edge) win over bodies, and later
/// boxes (drawn on top) over earlier ones.
#[must_use]
pub fn hit_test(boxes: &[ScreenBox], x: f32, y: f32, handle_px: f32) -> Hit {
    for b in boxes.iter().rev() {
        let inside_x = x >= b.left - handle_px && x <= b.right + handle_px;
        let inside_y = y >= b.top - handle_px && y <= b.bottom + handle_px;
        if !(inside_x && inside_y) {
            continue;
        }
        let near = |a: f32, b: f32| (a - b).abs() <= handle_px;
        let (left, right, top, bottom) = (
            near(x, b.left),
            near(x, b.right),
            near(y, b.top),
            near(y, b.bottom),
        );
        // A box too narrow for two handles is moved, not resized, from its middle.
        let handle = match (left, right, top, bottom) {
            (true, false, true, _) => Some(Handle::StartHigh),
            (true, false, _, true) => Some(Handle::StartLow),
            (false, true, true, _) => Some(Handle::EndHigh),
            (false, true, _, true) => Some(Handle::EndLow),
            (true, false, false, false) => Some(Handle::Start),
            (false, true, false, false) => Some(Handle::End),
            (false, false, true, false) => Some(Handle::High),
            (false, false, false, true) => Some(Handle::Low),
            _ => None,
        };
        if let Some(handle) = handle {
            return Hit::Handle(b.id, handle);
        }
        if x >= b.left && x <= b.right && y >= b.top && y <= b.bottom {
            return Hit::Body(b.id);
        }
    }
    Hit::Nothing
}

/// `original` with `handle` dragged to `to`, normalised.
#[must_use]
pub fn resize(original: TfBox, handle: Handle, to: TfPoint) -> TfBox {
    let mut b = original;
    match handle {
        Handle::Start => b.start_secs = to.secs,
        Handle::End => b.end_secs = to.secs,
        Handle::Low => b.low_hz = to.hz,
        Handle::High => b.high_hz = to.hz,
        Handle::StartLow => (b.start_secs, b.low_hz) = (to.secs, to.hz),
        Handle::StartHigh => (b.start_secs, b.high_hz) = (to.secs, to.hz),
        Handle::EndLow => (b.end_secs, b.low_hz) = (to.secs, to.hz),
        Handle::EndHigh => (b.end_secs, b.high_hz) = (to.secs, to.hz),
    }
    TfBox::from_corners(
        TfPoint {
            secs: b.start_secs,
            hz: b.low_hz,
        },
        TfPoint {
            secs: b.end_secs,
            hz: b.high_hz,
        },
    )
}

/// A gesture in progress.
#[derive(Debug, Clone, PartialEq)]
pub enum Gesture {
    /// Drawing a new box from `from`; `full_band` spans all frequencies (a time selection).
    Drawing {
        from: TfPoint,
        to: TfPoint,
        full_band: bool,
    },
    /// Moving boxes by the pointer's displacement from `from`.
    Moving {
        ids: Vec<SelectionId>,
        from: TfPoint,
        to: TfPoint,
    },
    /// Dragging one handle of a box.
    Resizing {
        id: SelectionId,
        handle: Handle,
        original: TfBox,
        to: TfPoint,
    },
}

/// What a finished gesture asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Create(TfBox),
    /// Shift by `(delta_secs, delta_hz)`.
    Move {
        ids: Vec<SelectionId>,
        delta_secs: f64,
        delta_hz: f64,
    },
    Resize {
        id: SelectionId,
        to: TfBox,
    },
}

impl Gesture {
    pub fn update(&mut self, at: TfPoint) {
        match self {
            Self::Drawing { to, .. } | Self::Moving { to, .. } | Self::Resizing { to, .. } => {
                *to = at;
            }
        }
    }

    /// The box being drawn or resized (for drawing a preview); `band` is the full frequency range.
    #[must_use]
    pub fn preview(&self, band: (f64, f64)) -> Option<TfBox> {
        match self {
            Self::Drawing {
                from,
                to,
                full_band,
            } => Some(drawn_box(*from, *to, *full_band, band)),
            Self::Resizing {
                handle,
                original,
                to,
                ..
            } => Some(resize(*original, *handle, *to)),
            Self::Moving { .. } => None,
        }
    }

    /// Ends the gesture. Tiny drags (under `min_secs` and `min_hz` of movement, i.e. a click)
    /// ask for nothing.
    #[must_use]
    pub fn finish(self, band: (f64, f64), min_secs: f64, min_hz: f64) -> Option<Outcome> {
        match self {
            Self::Drawing {
                from,
                to,
                full_band,
            } => {
                let b = drawn_box(from, to, full_band, band);
                let big_enough = b.end_secs - b.start_secs >= min_secs
                    && (full_band || b.high_hz - b.low_hz >= min_hz);
                big_enough.then_some(Outcome::Create(b))
            }
            Self::Moving { ids, from, to } => {
                let (delta_secs, delta_hz) = (to.secs - from.secs, to.hz - from.hz);
                (delta_secs.abs() >= min_secs || delta_hz.abs() >= min_hz).then_some(
                    Outcome::Move {
                        ids,
                        delta_secs,
                        delta_hz,
                    },
                )
            }
            Self::Resizing {
                id,
                handle,
                original,
                to,
            } => {
                let new = resize(original, handle, to);
                (new != original).then_some(Outcome::Resize { id, to: new })
            }
        }
    }
}

fn drawn_box(from: TfPoint, to: TfPoint, full_band: bool, band: (f64, f64)) -> TfBox {
    let mut b = TfBox::from_corners(from, to);
    if full_band {
        (b.low_hz, b.high_hz) = band;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(secs: f64, hz: f64) -> TfPoint {
        TfPoint { secs, hz }
    }

    #[test]
    fn drawing_normalises_and_ignores_clicks() {
        let mut g = Gesture::Drawing {
            from: point(5.0, 3000.0),
            to: point(5.0, 3000.0),
            full_band: false,
        };
        g.update(point(4.0, 6000.0));
        assert_eq!(
            g.preview((0.0, 11_025.0)),
            Some(TfBox {
                start_secs: 4.0,
                end_secs: 5.0,
                low_hz: 3000.0,
                high_hz: 6000.0
            })
        );
        assert!(matches!(
            g.clone().finish((0.0, 11_025.0), 0.01, 10.0),
            Some(Outcome::Create(_))
        ));
        let click = Gesture::Drawing {
            from: point(5.0, 3000.0),
            to: point(5.001, 3002.0),
            full_band: false,
        };
        assert_eq!(click.finish((0.0, 11_025.0), 0.01, 10.0), None);
        let band = Gesture::Drawing {
            from: point(1.0, 3000.0),
            to: point(2.0, 3001.0),
            full_band: true,
        };
        assert_eq!(
            band.finish((0.0, 16_000.0), 0.01, 10.0),
            Some(Outcome::Create(TfBox {
                start_secs: 1.0,
                end_secs: 2.0,
                low_hz: 0.0,
                high_hz: 16_000.0
            }))
        );
    }

    #[test]
    fn handles_win_over_bodies_and_top_boxes_over_lower_ones() {
        let boxes = [
            ScreenBox {
                id: SelectionId(1),
                left: 100.0,
                right: 200.0,
                top: 50.0,
                bottom: 150.0,
            },
            ScreenBox {
                id: SelectionId(2),
                left: 180.0,
                right: 300.0,
                top: 100.0,
                bottom: 200.0,
            },
        ];
        assert_eq!(
            hit_test(&boxes, 150.0, 80.0, 4.0),
            Hit::Body(SelectionId(1))
        );
        assert_eq!(
            hit_test(&boxes, 190.0, 120.0, 4.0),
            Hit::Body(SelectionId(2)),
            "the later box is on top"
        );
        assert_eq!(
            hit_test(&boxes, 102.0, 100.0, 4.0),
            Hit::Handle(SelectionId(1), Handle::Start)
        );
        assert_eq!(
            hit_test(&boxes, 301.0, 198.0, 4.0),
            Hit::Handle(SelectionId(2), Handle::EndLow)
        );
        assert_eq!(
            hit_test(&boxes, 150.0, 49.0, 4.0),
            Hit::Handle(SelectionId(1), Handle::High)
        );
        assert_eq!(hit_test(&boxes, 400.0, 100.0, 4.0), Hit::Nothing);
        let narrow = [ScreenBox {
            id: SelectionId(3),
            left: 10.0,
            right: 13.0,
            top: 0.0,
            bottom: 100.0,
        }];
        assert_eq!(
            hit_test(&narrow, 11.5, 50.0, 4.0),
            Hit::Body(SelectionId(3)),
            "too narrow for side handles"
        );
    }

    #[test]
    fn resizing_and_moving() {
        let original = TfBox {
            start_secs: 1.0,
            end_secs: 2.0,
            low_hz: 1000.0,
            high_hz: 2000.0,
        };
        // Dragging the start past the end flips cleanly.
        assert_eq!(
            resize(original, Handle::Start, point(3.0, 0.0)),
            TfBox {
                start_secs: 2.0,
                end_secs: 3.0,
                ..original
            }
        );
        assert_eq!(
            resize(original, Handle::EndHigh, point(2.5, 2500.0)),
            TfBox {
                end_secs: 2.5,
                high_hz: 2500.0,
                ..original
            }
        );
        let moving = Gesture::Moving {
            ids: vec![SelectionId(4)],
            from: point(1.5, 1500.0),
            to: point(2.0, 1400.0),
        };
        assert_eq!(
            moving.finish((0.0, 8000.0), 0.01, 10.0),
            Some(Outcome::Move {
                ids: vec![SelectionId(4)],
                delta_secs: 0.5,
                delta_hz: -100.0
            })
        );
        let unchanged = Gesture::Resizing {
            id: SelectionId(4),
            handle: Handle::Low,
            original,
            to: point(1.5, 1000.0),
        };
        assert_eq!(unchanged.finish((0.0, 8000.0), 0.01, 10.0), None);
    }

    #[test]
    fn clamping_moves_boxes_back_inside() {
        let b = TfBox {
            start_secs: -0.5,
            end_secs: 0.5,
            low_hz: 7900.0,
            high_hz: 8100.0,
        };
        assert_eq!(
            b.clamped(10.0, 8000.0),
            TfBox {
                start_secs: 0.0,
                end_secs: 1.0,
                low_hz: 7800.0,
                high_hz: 8000.0
            }
        );
        let wide = TfBox {
            start_secs: 0.0,
            end_secs: 20.0,
            low_hz: 0.0,
            high_hz: 100.0,
        };
        assert_eq!(wide.clamped(10.0, 8000.0).end_secs, 10.0);
    }
}
