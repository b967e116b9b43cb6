namespace Distil.Tests.Support;

/// <summary>Reads a run's store (distil-run.db) directly, as an independent check of what a run committed.</summary>
public static class RunStore
{
    /// <summary>The input keys of the rows <paramref name="step"/> committed to the store at <paramref name="store"/>.</summary>
    public static List<string> StoredKeys(string store, string step)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store};Mode=ReadWrite;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT input_key FROM rows WHERE step = $step";
        command.Parameters.AddWithValue("$step", step);
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read()) keys.Add(reader.GetString(0));
        return keys;
    }
}
