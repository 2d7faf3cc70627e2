//! Notification handlers, one per file. They record what the client said in the client state
//! and hand the work to the analysis worker.

pub mod did_change;
pub mod did_change_configuration;
pub mod did_change_watched_files;
pub mod did_change_workspace_folders;
pub mod did_close;
pub mod did_open;
pub mod initialized;
