using System.Reflection;
using LiveCommerce.Api.Platform;
using Microsoft.EntityFrameworkCore;

namespace LiveCommerce.Tests.Platform;

/// <summary>
/// deploy/postgres/140 creates the tables OpenIddict's EF Core stores use in the postgres profile (the front door does
/// not create schema): every table and column of the model must be there, with the name EF Core maps it to.
/// </summary>
public sealed class OAuthSchemaTests
{
    [Fact]
    public void The_schema_file_has_every_table_and_column_of_the_OpenIddict_model()
    {
        var options = new DbContextOptionsBuilder<OAuthDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=none;Username=none;Password=none").UseOpenIddict().Options;
        using var db = new OAuthDbContext(options);
        var sql = ReadSchema("140-livecommerce-oauth.sql");
        var missing = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            if (!sql.Contains($"CREATE TABLE IF NOT EXISTS \"{table}\"", StringComparison.Ordinal)) missing.Add(table);
            foreach (var property in entity.GetProperties())
            {
                var column = property.GetColumnName();
                if (!sql.Contains($"\"{column}\" {property.GetColumnType()}", StringComparison.Ordinal)) missing.Add($"{table}.{column} {property.GetColumnType()}");
            }
        }
        Assert.True(missing.Count == 0, "Missing from 140-livecommerce-oauth.sql: " + string.Join(", ", missing) +
            "\nEF Core's script for comparison:\n" + db.Database.GenerateCreateScript());
    }

    private static string ReadSchema(string file)
    {
        var assembly = typeof(LiveCommerce.Grains.Hosting.PostgresSchema).Assembly;
        using var stream = assembly.GetManifestResourceStream("schema/" + file) ?? throw new FileNotFoundException(file);
        return new StreamReader(stream).ReadToEnd();
    }
}
