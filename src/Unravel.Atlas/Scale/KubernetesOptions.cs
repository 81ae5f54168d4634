// The cluster options of the Kubernetes Jobs KubernetesJobs writes.

namespace Unravel.Atlas.Scale;

/// <summary>Kubernetes options of the generated Jobs.</summary>
/// <param name="Image">Container image with unravel installed.</param>
/// <param name="JobName">Job name prefix (a DNS-1123 label).</param>
/// <param name="Claim">PersistentVolumeClaim mounted at <paramref name="Mount"/> in every pod (model, data and atlas live there), or null.</param>
/// <param name="Mount">Where the claim is mounted, also the working directory.</param>
/// <param name="Cpus">CPU request and limit per pod, or null.</param>
/// <param name="Memory">Memory request and limit per pod (e.g. 4Gi), or null.</param>
public sealed record KubernetesOptions(string Image, string JobName, string? Claim, string Mount, int? Cpus, string? Memory);
