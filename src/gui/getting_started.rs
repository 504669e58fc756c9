//! Help ▸ Getting started: the README's first session, step by step, inside the app (a test
//! keeps the two in step: every title here is a step of the README's first session).

use eframe::egui;

/// The first session on the demo: (title, what to do).
pub const STEPS: [(&str, &str); 7] = [
    (
        "Look.",
        "The list on the left holds eight training recordings (sites 1-4, annotated), four survey \
         recordings (sites 7-8, not annotated) and three test recordings (sites 5-6). Click \
         SITE1_20240512_053000: the warbler's trills are the falling ladders between 3.5 and \
         6 kHz. In the Spectrogram tab on the right, drag Window size from 512 to 4096 and back \
         and watch time blur into frequency detail; switch Frequency scale to Mel. Space plays.",
    ),
    (
        "Annotate.",
        "Open a survey recording. Press 1 (the next box is a positive) and drag a box around a \
         trill; press 2 (the next box is a negative) and box a rising whistle. Each box is a row \
         in the table below, where its times, frequencies and label can be typed. To change \
         boxes already drawn, select them and press Ctrl+L: they get the kind and label shown \
         in the bar above the spectrogram. Ctrl+Z undoes anything.",
    ),
    (
        "Train.",
        "Ctrl+T opens the Train window. Model input shows what it proposes from the data and \
         why. Start training: under a minute on a laptop, with live loss and accuracy curves. \
         The result counts the calls found on the validation recordings, as syrinx evaluate \
         would, above the window figures.",
    ),
    (
        "Detect.",
        "Ctrl+D, Run over: recordings to survey (the default: not annotated, not test), Start \
         detection. The detections appear as magenta bands with their scores, and the Review \
         tab opens on the first one, framed in amber.",
    ),
    (
        "Review.",
        "Up (or T): a warbler, a true positive. Down (or F): not one, a false positive. Space \
         replays it, Z undoes, Left and Right move without deciding. Drag a box over a trill \
         the model missed: it becomes a positive.",
    ),
    (
        "Feed the mistakes back.",
        "Add false positives to negatives (or N): each becomes a negative labelled \"not syrinx \
         warbler\" over the model's band, remembering the model, score and iteration. The survey \
         recordings are in the training split, so Retrain teaches iteration 2 what iteration 1 \
         got wrong.",
    ),
    (
        "Compare.",
        "Ctrl+D over the recordings in the test split with each model and review them (their \
         verdicts are kept for evaluation only: test recordings are never trained on), or from \
         the command line run syrinx detect and syrinx evaluate against the demo's truth \
         tables. The Iterations table in the Review tab sets the models side by side.",
    ),
];

/// The Getting started window.
pub fn window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Getting started")
        .open(open)
        .default_width(520.0)
        .vscroll(true)
        .show(ctx, |ui| {
            ui.label(
                "A first session on the demo (File > Open the demo), about ten minutes. The same \
                 steps are in the README, with the command-line version.",
            );
            ui.separator();
            for (n, (title, text)) in STEPS.iter().enumerate() {
                ui.label(egui::RichText::new(format!("{}. {title}", n + 1)).strong());
                ui.label(*text);
                ui.add_space(6.0);
            }
        });
}
