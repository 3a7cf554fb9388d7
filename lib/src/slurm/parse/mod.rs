//! Parsers for the output of Slurm commands.
