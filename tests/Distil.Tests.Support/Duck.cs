using DuckDB.NET.Data;

namespace Distil.Tests.Support;

/// <summary>DuckDB in memory, the independent reader of the files a pipeline writes (Parquet, JSON Lines, CSV).</summary>
public static class Duck
{
    /// <summary>DuckDB's own type names of the columns it reads from <paramref name="file"/>, by column (struct field names unquoted).</summary>
    public static Dictionary<string, string> Describe(string file)
    {
        using var duck = Open();
        using var command = duck.CreateCommand();
        command.CommandText = $"DESCRIBE SELECT * FROM '{file}'";
        using var reader = command.ExecuteReader();
        var types = new Dictionary<string, string>();
        while (reader.Read()) types[reader.GetString(0)] = reader.GetString(1).Replace("\"", "");
        return types;
    }

    /// <summary>The first value <paramref name="sql"/> selects.</summary>
    public static object? Scalar(string sql)
    {
        using var duck = Open();
        using var command = duck.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }
}
