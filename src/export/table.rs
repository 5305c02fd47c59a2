//! A streamed table as typed polars columns, and its CSV and Parquet frames.
//!
//! Text is cleaned ([`clean_cell`]) as it is read, so every format gets
//! escape-free text; the CSV frame additionally neutralizes formula-like
//! cells ([`neutralize_cell`]) and joins list columns with `;`, while the
//! Parquet frame keeps the raw text and real list columns.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{
    BooleanChunked, ChunkFilter, ChunkedBuilder, Column, CsvWriter, DataFrame, Float64Chunked,
    Float64Type, Int64Chunked, Int64Type, IntoColumn, IntoSeries, ListBuilderTrait, ListChunked,
    ListStringChunkedBuilder, ParquetWriter, PrimitiveChunkedBuilder, SerWriter, StringChunked,
    StringChunkedBuilder,
};

use super::Format;
use super::cell::{clean_cell, is_formula_like, neutralize_cell};
use crate::store::{
    Cell, ExportFilter, ExportKind, ExportPart, ExportSource, LIST_SEPARATOR, Store,
};

/// One column's values.
#[derive(Clone)]
pub(crate) enum Data {
    Int(Int64Chunked),
    Real(Float64Chunked),
    Text(StringChunked),
    /// A list column and the same values joined with `;` (for CSV).
    List {
        values: ListChunked,
        joined: StringChunked,
    },
}

#[derive(Clone)]
pub(crate) struct Col {
    pub name: String,
    pub data: Data,
}

/// A table read from the store (or derived from one for a CRM profile).
#[derive(Clone)]
pub(crate) struct Table {
    pub height: usize,
    pub cols: Vec<Col>,
}

enum Builder {
    Int(PrimitiveChunkedBuilder<Int64Type>),
    Real(PrimitiveChunkedBuilder<Float64Type>),
    Text(StringChunkedBuilder),
    List(Box<(ListStringChunkedBuilder, StringChunkedBuilder)>),
}

impl Builder {
    fn new(name: &str, kind: ExportKind) -> Self {
        let cap = 1024;
        match kind {
            ExportKind::Int => Self::Int(PrimitiveChunkedBuilder::new(name.into(), cap)),
            ExportKind::Real => Self::Real(PrimitiveChunkedBuilder::new(name.into(), cap)),
            ExportKind::Text => Self::Text(StringChunkedBuilder::new(name.into(), cap)),
            ExportKind::List => Self::List(Box::new((
                ListStringChunkedBuilder::new(name.into(), cap, cap),
                StringChunkedBuilder::new(name.into(), cap),
            ))),
        }
    }

    fn push(&mut self, cell: Cell<'_>) {
        match self {
            Self::Int(b) => b.append_option(match cell {
                Cell::Int(v) => Some(v),
                Cell::Real(v) if v.fract() == 0.0 => Some(v as i64),
                Cell::Text(t) => t.trim().parse().ok(),
                _ => None,
            }),
            Self::Real(b) => b.append_option(match cell {
                Cell::Int(v) => Some(v as f64),
                Cell::Real(v) => Some(v),
                Cell::Text(t) => t.trim().parse().ok(),
                Cell::Null => None,
            }),
            Self::Text(b) => match cell {
                Cell::Null => b.append_null(),
                Cell::Text(t) => b.append_value(clean_cell(t)),
                Cell::Int(v) => b.append_value(v.to_string()),
                Cell::Real(v) => b.append_value(v.to_string()),
            },
            Self::List(b) => match cell {
                Cell::Text(t) if !t.is_empty() => {
                    // Split before cleaning: the separator is a control
                    // character the cleaning would remove.
                    let values: Vec<std::borrow::Cow<'_, str>> = t
                        .split(LIST_SEPARATOR)
                        .map(clean_cell)
                        .filter(|v| !v.is_empty())
                        .collect();
                    b.0.append_values_iter(values.iter().map(|v| v.as_ref()));
                    b.1.append_value(values.join(";"));
                }
                _ => {
                    b.0.append_values_iter(std::iter::empty());
                    b.1.append_null();
                }
            },
        }
    }

    fn finish(self, name: &str) -> Col {
        let data = match self {
            Self::Int(b) => Data::Int(b.finish()),
            Self::Real(b) => Data::Real(b.finish()),
            Self::Text(b) => Data::Text(b.finish()),
            Self::List(b) => {
                let (mut list, joined) = *b;
                Data::List {
                    values: list.finish(),
                    joined: joined.finish(),
                }
            }
        };
        Col {
            name: name.to_owned(),
            data,
        }
    }
}

/// Companies per id-range part below which one reader does it all (tiny
/// in tests, so they read small stores in parts too).
#[cfg(not(test))]
const MIN_PART: i64 = 50_000;
#[cfg(test)]
const MIN_PART: i64 = 4;

impl Table {
    /// Reads `source` through `filter` into columns. A large companies
    /// table is read as id ranges on parallel connections (reading and
    /// decoding rows is most of an export's time) and the parts joined in
    /// id order.
    pub fn read(store: &Store, source: ExportSource, filter: &ExportFilter) -> Result<Table> {
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let span = match source {
            ExportSource::Companies if parts > 1 && store.path().is_file() => {
                store.company_id_span()?
            }
            _ => None,
        };
        let lists = match source {
            ExportSource::Companies => Some(store.company_lists()?),
            _ => None,
        };
        let Some((lo, hi)) = span.filter(|(lo, hi)| hi - lo >= MIN_PART * 2) else {
            let part = ExportPart {
                ids: None,
                lists: lists.as_ref(),
            };
            return Self::read_part(store, source, filter, part);
        };
        let parts = i64::try_from(parts)?.min((hi - lo) / MIN_PART).max(1);
        let step = (hi - lo) / parts + 1;
        let ranges: Vec<(i64, i64)> = (0..parts)
            .map(|k| (lo + k * step, (lo + (k + 1) * step - 1).min(hi)))
            .collect();
        let path = store.path().to_path_buf();
        let lists = lists.as_ref();
        let tables: Vec<Result<Table>> = std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .iter()
                .map(|&range| {
                    let path = &path;
                    scope.spawn(move || {
                        let reader = Store::open_readonly(path)?;
                        let part = ExportPart {
                            ids: Some(range),
                            lists,
                        };
                        Self::read_part(&reader, source, filter, part)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(anyhow::anyhow!("an export reader thread panicked"))
                    })
                })
                .collect()
        });
        let mut tables = tables.into_iter();
        let mut first = tables.next().context("no export parts")??;
        for t in tables {
            first.append(t?)?;
        }
        Ok(first)
    }

    /// Appends `other`'s rows (same columns) after this table's.
    fn append(&mut self, other: Table) -> Result<()> {
        for (mine, theirs) in self.cols.iter_mut().zip(other.cols) {
            match (&mut mine.data, theirs.data) {
                (Data::Int(a), Data::Int(b)) => a.append_owned(b)?,
                (Data::Real(a), Data::Real(b)) => a.append_owned(b)?,
                (Data::Text(a), Data::Text(b)) => a.append_owned(b)?,
                (
                    Data::List { values, joined },
                    Data::List {
                        values: v,
                        joined: j,
                    },
                ) => {
                    values.append_owned(v)?;
                    joined.append_owned(j)?;
                }
                _ => anyhow::bail!("export parts disagree on column {}", mine.name),
            }
        }
        self.height += other.height;
        Ok(())
    }

    pub(crate) fn read_part(
        store: &Store,
        source: ExportSource,
        filter: &ExportFilter,
        part: ExportPart<'_>,
    ) -> Result<Table> {
        let columns = source.columns();
        let mut builders: Vec<Builder> = columns
            .iter()
            .map(|c| Builder::new(c.name, c.kind))
            .collect();
        let height = store.stream_export_part(source, filter, part, &mut |cells| {
            for (b, cell) in builders.iter_mut().zip(cells) {
                b.push(*cell);
            }
            Ok(())
        })?;
        let cols = builders
            .into_iter()
            .zip(columns)
            .map(|(b, c)| b.finish(c.name))
            .collect();
        Ok(Table {
            height: usize::try_from(height)?,
            cols,
        })
    }

    pub fn data(&self, name: &str) -> Result<&Data> {
        self.cols
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.data)
            .with_context(|| format!("export table has no column {name:?}"))
    }

    /// A text column (a list column's joined form).
    pub fn text(&self, name: &str) -> Result<&StringChunked> {
        match self.data(name)? {
            Data::Text(ca) | Data::List { joined: ca, .. } => Ok(ca),
            _ => anyhow::bail!("export column {name:?} is not text"),
        }
    }

    /// Column `from` under the name `to`.
    pub fn renamed(&self, from: &str, to: &str) -> Result<Col> {
        Ok(Col {
            name: to.to_owned(),
            data: self.data(from)?.clone(),
        })
    }

    /// The rows where `mask` is true.
    pub fn filter(&self, mask: &BooleanChunked) -> Result<Table> {
        let cols = self
            .cols
            .iter()
            .map(|c| {
                let data = match &c.data {
                    Data::Int(ca) => Data::Int(ca.filter(mask)?),
                    Data::Real(ca) => Data::Real(ca.filter(mask)?),
                    Data::Text(ca) => Data::Text(ca.filter(mask)?),
                    Data::List { values, joined } => Data::List {
                        values: values.filter(mask)?,
                        joined: joined.filter(mask)?,
                    },
                };
                Ok(Col {
                    name: c.name.clone(),
                    data,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let height = mask.iter().filter(|m| *m == Some(true)).count();
        Ok(Table { height, cols })
    }

    /// The frame written in `format`.
    pub fn frame(&self, format: Format) -> Result<DataFrame> {
        let csv = format == Format::Csv;
        let cols: Vec<Column> = self
            .cols
            .iter()
            .map(|c| {
                let name = c.name.as_str().into();
                match &c.data {
                    Data::Int(ca) => ca.clone().with_name(name).into_column(),
                    Data::Real(ca) => ca.clone().with_name(name).into_column(),
                    Data::Text(ca) | Data::List { joined: ca, .. } if csv => {
                        neutralized(ca).with_name(name).into_column()
                    }
                    Data::Text(ca) => ca.clone().with_name(name).into_column(),
                    Data::List { values, .. } => {
                        values.clone().with_name(name).into_series().into_column()
                    }
                }
            })
            .collect();
        Ok(DataFrame::new(self.height, cols)?)
    }
}

/// `ca` with formula-like cells neutralized (shared, not copied, when
/// there are none).
fn neutralized(ca: &StringChunked) -> StringChunked {
    if !ca.iter().any(|v| v.is_some_and(is_formula_like)) {
        return ca.clone();
    }
    ca.iter()
        .map(|v| v.map(neutralize_cell))
        .collect::<StringChunked>()
}

/// A text column from computed values.
pub(crate) fn text_data(values: impl IntoIterator<Item = Option<String>>) -> Data {
    Data::Text(values.into_iter().collect())
}

/// Writes `df` to `path` through a temporary name, so a crash never leaves a
/// half-written file where a finished one is expected.
pub(crate) fn write_frame(df: &mut DataFrame, format: Format, path: &Path) -> Result<()> {
    let tmp = path.with_extension(format!("{}.partial", format.extension()));
    {
        let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        match format {
            Format::Csv => {
                let mut out = BufWriter::with_capacity(1 << 20, file);
                CsvWriter::new(&mut out)
                    .include_header(true)
                    .finish(df)
                    .with_context(|| format!("writing {}", tmp.display()))?;
                let file = out.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()?;
            }
            Format::Parquet => {
                ParquetWriter::new(file)
                    .finish(df)
                    .map(|_| ())
                    .with_context(|| format!("writing {}", tmp.display()))?;
            }
        }
    }
    std::fs::rename(&tmp, path).with_context(|| format!("moving {} into place", path.display()))?;
    Ok(())
}
