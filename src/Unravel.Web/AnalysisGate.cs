// Serialises the explorer's access to its atlas inside one process: pages are rendered and on-demand analyses run one
// at a time (the report caches tables and re-runs the model through hooks; a method writes its files and rows for a
// layer in one transaction), and concurrent requests for the same (method, layer, neuron) share one run instead of
// writing the neuron's results twice. A neuron that already has the method's result is not run again. This gate is
// in-process only; writers in other processes (the CLI) are kept apart by the atlas's own lock.

namespace Unravel.Web;

/// <summary>The explorer's in-process gate over its atlas.</summary>
internal sealed class AnalysisGate
{
    private readonly SemaphoreSlim _atlas = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Method, string Layer, int Neuron), Task<bool>> _running = [];

    /// <summary>Runs <paramref name="read"/> while no analysis writes.</summary>
    public async Task<T> ReadAsync<T>(Func<T> read, CancellationToken cancellationToken)
    {
        await _atlas.WaitAsync(cancellationToken);
        try
        {
            return read();
        }
        finally
        {
            _atlas.Release();
        }
    }

    /// <summary>Runs <paramref name="analyse"/> for <paramref name="key"/> unless <paramref name="done"/> says the result
    /// exists; a call while the same key runs joins that run. The task's value says whether this run analysed.</summary>
    /// <param name="stopping">Cancels the shared run (the server stopping); a caller that goes away only stops waiting.</param>
    public Task<bool> AnalyseAsync((string Method, string Layer, int Neuron) key, Func<bool> done, Action<CancellationToken> analyse, CancellationToken stopping)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(key, out Task<bool>? running)) return running;
            Task<bool> run = RunAsync(key, done, analyse, stopping);
            _running[key] = run;
            return run;
        }
    }

    private async Task<bool> RunAsync((string, string, int) key, Func<bool> done, Action<CancellationToken> analyse, CancellationToken stopping)
    {
        await Task.Yield();   // leave AnalyseAsync's lock before the run can finish and remove its key
        try
        {
            await _atlas.WaitAsync(stopping);
            try
            {
                if (done()) return false;
                await Task.Run(() => analyse(stopping), stopping);
                return true;
            }
            finally
            {
                _atlas.Release();
            }
        }
        finally
        {
            lock (_lock) _running.Remove(key);
        }
    }
}
