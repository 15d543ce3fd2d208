namespace Bench.Comparison;

/// <summary>The faults of the servers that every contender shares, each over when its task ends.</summary>
public sealed class ServerFaults(BenchApp app, Store store)
{
    public async Task LockTableAsync(string table, int seconds)
    {
        await using var db = new Npgsql.NpgsqlConnection(store.ConnectionString);
        await db.OpenAsync();
        await using var transaction = await db.BeginTransactionAsync();
        await using (var command = new Npgsql.NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", db, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        await Task.Delay(TimeSpan.FromSeconds(seconds));
        await transaction.CommitAsync();
    }

    public async Task MemoryAlarmAsync(int seconds)
    {
        // The broker's default high watermark is 0.4 of the memory (what BrokerEventTests restores too).
        await app.BrokerCtlAsync("set_vm_memory_high_watermark", "0.000001");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds));
        }
        finally
        {
            await app.BrokerCtlAsync("set_vm_memory_high_watermark", "0.4");
        }
    }

    public async Task HangAsync(string server, int seconds)
    {
        var pid = app.ProcessId(server);
        await Harness.ProcessTree.PauseAsync(pid);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds));
        }
        finally
        {
            await Harness.ProcessTree.ResumeAsync(pid);
        }
    }
}
