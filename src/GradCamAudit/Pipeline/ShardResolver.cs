using System.Globalization;
using GradCamAudit.Results;

namespace GradCamAudit.Pipeline;

/// <summary>
/// Which shard this process audits. Every pod of a Kubernetes Indexed Job or task of a Slurm array runs the same
/// command line: <c>--shard I/N</c>, <c>--shard auto</c>, or <c>--shard-index</c>/<c>--shard-count</c>, each part
/// missing from the command line taken from the environment: the index from <c>JOB_COMPLETION_INDEX</c> (Kubernetes)
/// or <c>SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN</c> (Slurm, step 1), the count from <c>SLURM_ARRAY_TASK_COUNT</c>
/// or <c>GRADCAM_AUDIT_SHARD_COUNT</c> (Kubernetes exposes no completion count). Setting
/// <c>GRADCAM_AUDIT_SHARD_COUNT</c> alone also turns sharding on.
/// </summary>
public static class ShardResolver
{
    public const string CountVariable = "GRADCAM_AUDIT_SHARD_COUNT";

    public static ShardSpec? Resolve(string? shard, int? index, int? count, Func<string, string?> env)
    {
        if (shard != null && shard != "auto")
        {
            string[] parts = shard.Split('/');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                throw new UsageException($"--shard: expected I/N (for example 0/4) or auto, got '{shard}'");
            }
            (index, count) = (index ?? i, count ?? n);
        }
        bool requested = shard != null || index != null || count != null || env(CountVariable) != null;
        if (!requested)
        {
            return null;
        }
        if (index == null && count == null && EnvInt(env, "JOB_COMPLETION_INDEX") == null && EnvInt(env, "SLURM_ARRAY_TASK_COUNT") is int tasks)
        {
            CheckWholeSlurmArray(env, tasks);
        }
        index ??= EnvIndex(env);
        count ??= EnvInt(env, "SLURM_ARRAY_TASK_COUNT") ?? EnvInt(env, CountVariable);
        if (index == null || count == null)
        {
            throw new UsageException("sharding: " + (index == null ? "the shard index is unknown (give --shard I/N or --shard-index, or run as a Kubernetes Indexed Job or a Slurm array task)" : "")
                + (index == null && count == null ? "; " : "")
                + (count == null ? $"the shard count is unknown (give --shard-count or set {CountVariable})" : ""));
        }
        if (count < 1 || index < 0 || index >= count)
        {
            throw new UsageException($"sharding: index {index} is not in [0, {count - 1}] for {count} shards");
        }
        return new ShardSpec(index.Value, count.Value);
    }

    /// <summary>
    /// Index and count from a Slurm array are those of a night only when the array is the whole night's: a re-run of
    /// some indices (<c>sbatch --array=1</c>, <c>--array=0,2</c>) would otherwise audit the whole dataset as shard 0 of 1,
    /// or the wrong stride.
    /// </summary>
    private static void CheckWholeSlurmArray(Func<string, string?> env, int tasks)
    {
        int min = EnvInt(env, "SLURM_ARRAY_TASK_MIN") ?? 0, max = EnvInt(env, "SLURM_ARRAY_TASK_MAX") ?? min + tasks - 1;
        if (tasks < 2 || max - min + 1 != tasks)
        {
            throw new UsageException($"sharding: this Slurm array has {tasks} task(s) over indices {min}..{max}, which looks like a re-run of some shards of a night: "
                + "--shard auto cannot tell the night's shard count; give --shard I/N (configs/deploy/slurm-submit.sh --rerun I does)");
        }
    }

    private static int? EnvIndex(Func<string, string?> env)
    {
        if (EnvInt(env, "JOB_COMPLETION_INDEX") is int k8s)
        {
            return k8s;
        }
        return EnvInt(env, "SLURM_ARRAY_TASK_ID") is int id ? id - (EnvInt(env, "SLURM_ARRAY_TASK_MIN") ?? 0) : null;
    }

    private static int? EnvInt(Func<string, string?> env, string name)
    {
        string? v = env(name);
        if (v == null)
        {
            return null;
        }
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ? x : throw new UsageException($"sharding: environment variable {name}='{v}' is not an integer");
    }
}
