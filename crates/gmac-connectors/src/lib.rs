//! Adapters behind gmac-core's ports.

pub mod aws;
pub mod containers;
pub mod deploy;
pub mod domains;
pub mod git;
pub mod kubernetes;
pub mod mail;
pub mod ssh;
pub mod targets;

/// An error's innermost cause (e.g. `Connection refused`), which says more than its outer text.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut source = err;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}
