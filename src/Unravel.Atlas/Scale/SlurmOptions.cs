// The scheduler options of the Slurm jobs SlurmJobs writes.

namespace Unravel.Atlas.Scale;

/// <summary>Slurm options of the generated jobs.</summary>
/// <param name="Partition">--partition, or null for the cluster's default.</param>
/// <param name="Time">--time limit per task (Slurm's formats, e.g. 2:00:00 or 1-00:00:00), or null.</param>
/// <param name="Cpus">--cpus-per-task, or null.</param>
/// <param name="JobName">Job name prefix.</param>
/// <param name="WorkingDirectory">--chdir of every job (where relative paths of the command were given).</param>
public sealed record SlurmOptions(string? Partition, string? Time, int? Cpus, string JobName, string WorkingDirectory);
