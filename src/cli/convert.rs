//! `syrinx convert`: a selection table from one format to another (input format detected from its
//! content).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::annotation::{ImportOptions, TableFormat, TableRow, read_table, write_table};

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// A Raven selection table, Audacity label file or Syrinx CSV.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Output format: raven, audacity or csv.
    #[arg(long)]
    pub to: TableFormat,
    /// Output file.
    #[arg(long, short, value_name = "OUT")]
    pub out: PathBuf,
    /// Column holding the label (default: Annotation, Species, Label, Tags, … whichever exists).
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
}

pub fn run(args: &ConvertArgs) -> anyhow::Result<ExitCode> {
    let table = read_table(&args.input)?;
    for warning in &table.warnings {
        eprintln!("warning: {warning} (skipped): {}", args.input.display());
    }
    let mut options = ImportOptions::suggested(&table);
    if let Some(column) = &args.label_column {
        if !table.columns.iter().any(|c| c == column) {
            anyhow::bail!(
                "the table has no column '{column}' (columns: {}): {}",
                table.columns.join(", "),
                args.input.display()
            );
        }
        options.label_column = Some(column.clone());
    }
    let rows: Vec<TableRow> = table
        .rows
        .iter()
        .map(|row| TableRow {
            label: options.label_of(row),
            ..row.clone()
        })
        .collect();
    write_table(&args.out, args.to, &rows)?;
    println!(
        "converted {} selections from {} to {} ({} lines skipped): {}",
        rows.len(),
        table.format.name(),
        args.to.name(),
        table.warnings.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
