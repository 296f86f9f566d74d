//! Running the schedules: one run now (`run.rs`), and installing them for cron or systemd
//! (`install.rs`). The schedules themselves are config (`config::Schedule`).

mod install;
mod run;

pub use install::{
    as_cron_would, cron_block, read_crontab, remove_units, replace_block, rotating_log, unit_dir, write_crontab,
    write_units,
};
pub use run::run;
