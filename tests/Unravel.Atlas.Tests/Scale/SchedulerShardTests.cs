// SchedulerShard against fake environments: each scheduler's variables give the shard a task of `sbatch --array`, a
// Kubernetes Indexed Job or `mpirun` is, and every incomplete or inconsistent set is refused with a hint.

using Unravel.Atlas.Scale;

namespace Unravel.Atlas.Tests.Scale;

public sealed class SchedulerShardTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();

    [Theory]
    [InlineData("2", "4", null, null, null, 2, 4)]          // --array=0-3
    [InlineData("7", "4", "5", "8", null, 2, 4)]            // --array=5-8: index counts from MIN
    [InlineData("3", null, "0", "9", null, 3, 10)]          // COUNT absent: MIN/MAX give it
    [InlineData("4", null, "0", "6", "2", 2, 4)]            // --array=0-6:2 → tasks 0, 2, 4, 6
    public void Slurm_ArrayVariables_GiveTheShard(string id, string? count, string? min, string? max, string? step, int index, int shards)
    {
        var vars = new List<(string, string)> { ("SLURM_ARRAY_TASK_ID", id) };
        if (count is not null) vars.Add(("SLURM_ARRAY_TASK_COUNT", count));
        if (min is not null) vars.Add(("SLURM_ARRAY_TASK_MIN", min));
        if (max is not null) vars.Add(("SLURM_ARRAY_TASK_MAX", max));
        if (step is not null) vars.Add(("SLURM_ARRAY_TASK_STEP", step));
        (Shard shard, string source) = SchedulerShard.Resolve("auto", null, Env([.. vars]), "--shard");
        Assert.Equal(new Shard(index, shards), shard);
        Assert.StartsWith("Slurm job array (SLURM_ARRAY_TASK_ID=" + id, source);
    }

    [Fact]
    public void IndexedJob_NeedsShards_AndUsesThem()
    {
        (Shard shard, string source) = SchedulerShard.Resolve("auto", 5, Env(("JOB_COMPLETION_INDEX", "3")), "--shard");
        Assert.Equal(new Shard(3, 5), shard);
        Assert.Equal("Kubernetes Indexed Job (JOB_COMPLETION_INDEX=3, 5 shards)", source);
        Assert.Equal(new Shard(3, 5), SchedulerShard.Resolve("auto/5", null, Env(("JOB_COMPLETION_INDEX", "3")), "--neurons-shard").Shard);
        var e = Assert.Throws<UnravelException>(() => SchedulerShard.Resolve("auto", null, Env(("JOB_COMPLETION_INDEX", "3")), "--shard"));
        Assert.Contains("JOB_COMPLETION_INDEX=3", e.Message);
        Assert.Contains("--shards N", e.Hint);
    }

    [Fact]
    public void OpenMpi_RankAndSize_GiveTheShard()
    {
        (Shard shard, string source) = SchedulerShard.Resolve("auto", null, Env(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "3")), "--shard");
        Assert.Equal(new Shard(1, 3), shard);
        Assert.Equal("Open MPI (OMPI_COMM_WORLD_RANK=1, OMPI_COMM_WORLD_SIZE=3)", source);
    }

    [Fact]
    public void Slurm_WinsOverMpi_WhenBothAreSet()
    {
        (Shard shard, _) = SchedulerShard.Resolve("auto", null,
            Env(("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "2"), ("OMPI_COMM_WORLD_RANK", "5"), ("OMPI_COMM_WORLD_SIZE", "8")), "--shard");
        Assert.Equal(new Shard(0, 2), shard);
    }

    [Theory]
    [InlineData("SLURM_ARRAY_TASK_ID=2", "neither SLURM_ARRAY_TASK_COUNT")]              // an ID without a count
    [InlineData("SLURM_ARRAY_TASK_ID=2,SLURM_ARRAY_TASK_MIN=0", "neither SLURM_ARRAY_TASK_COUNT")]
    [InlineData("SLURM_ARRAY_TASK_ID=4,SLURM_ARRAY_TASK_COUNT=4", "not one of 4")]       // ID outside the count
    [InlineData("SLURM_ARRAY_TASK_ID=x,SLURM_ARRAY_TASK_COUNT=4", "not a non-negative integer")]
    [InlineData("SLURM_ARRAY_TASK_ID=3,SLURM_ARRAY_TASK_MIN=0,SLURM_ARRAY_TASK_MAX=6,SLURM_ARRAY_TASK_STEP=2", "not one of 4")]
    [InlineData("SLURM_ARRAY_TASK_ID=1,SLURM_ARRAY_TASK_MIN=3,SLURM_ARRAY_TASK_MAX=2", "below SLURM_ARRAY_TASK_MIN")]
    [InlineData("OMPI_COMM_WORLD_RANK=1", "only OMPI_COMM_WORLD_RANK")]
    [InlineData("OMPI_COMM_WORLD_RANK=3,OMPI_COMM_WORLD_SIZE=3", "not below OMPI_COMM_WORLD_SIZE")]
    [InlineData("JOB_COMPLETION_INDEX=-1", "not a non-negative integer")]
    [InlineData("", "no scheduler environment found")]
    public void IncompleteOrInconsistent_IsRefusedWithAHint(string variables, string message)
    {
        (string, string)[] vars = [.. variables.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => (v.Split('=')[0], v.Split('=')[1]))];
        var e = Assert.Throws<UnravelException>(() => SchedulerShard.Resolve("auto", vars.Any(v => v.Item1 == "JOB_COMPLETION_INDEX") ? 4 : null, Env(vars), "--shard"));
        Assert.Contains(message, e.Message);
        Assert.False(string.IsNullOrEmpty(e.Hint));
    }

    [Fact]
    public void ShardsThatDisagreeWithTheScheduler_AreRefused()
    {
        var e = Assert.Throws<UnravelException>(() =>
            SchedulerShard.Resolve("auto", 8, Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "4")), "--shard"));
        Assert.Contains("gives 4 shards, but --shards says 8", e.Message);
    }

    [Theory]
    [InlineData("1/4", 1, 4)]
    [InlineData("0/1", 0, 1)]
    public void ExplicitText_IsParsed_AndNeedsNoEnvironment(string text, int index, int count)
    {
        (Shard shard, string source) = SchedulerShard.Resolve(text, null, _ => throw new InvalidOperationException("read the environment"), "--shard");
        Assert.Equal(new Shard(index, count), shard);
        Assert.Equal("command line", source);
    }

    [Theory]
    [InlineData("4/4")]
    [InlineData("1/0")]
    [InlineData("-1/4")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("Auto")]
    [InlineData("auto/0")]
    [InlineData("auto/x")]
    public void MalformedText_IsRefused(string text)
    {
        var e = Assert.Throws<UnravelException>(() => SchedulerShard.Resolve(text, null, _ => null, "--neurons-shard"));
        Assert.Contains($"--neurons-shard {text} is not ", e.Message);
    }

    [Theory]
    [InlineData(10, 3, new[] { 0, 3, 6, 10 })]
    [InlineData(2, 4, new[] { 0, 0, 1, 1, 2 })]   // more shards than items: some are empty
    public void Slices_CoverTheItemsOnce(int items, int count, int[] bounds)
    {
        for (int i = 0; i < count; i++)
            Assert.Equal((bounds[i], bounds[i + 1]), new Shard(i, count).Slice(items));
    }
}
