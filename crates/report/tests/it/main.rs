//! The integration tests of trailproof-report, in one binary: the one `render` entry point in
//! every format, and the PDF report read back as an auditor's tools read it.

mod pdf;
mod render;
