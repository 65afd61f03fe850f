//! Anchor's `shell` layer: see `../shared/design/architecture.md`; built by its own issue.
