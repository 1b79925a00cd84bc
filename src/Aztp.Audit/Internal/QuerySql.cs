using Aztp.Core;

namespace Aztp.Audit.Internal;

/// <summary>
/// Builds the SELECT for an <see cref="AuditQuery"/> over the shared schema (SQLite and PostgreSQL). The caller says how
/// a timestamp is bound and, for SQLite's integer layout, how type and outcome are (default: their JSON names).
/// </summary>
internal static class QuerySql
{
    public static (string Sql, List<KeyValuePair<string, object>> Parameters) Build(string table, AuditQuery query, Func<DateTimeOffset, object> timestamp,
        Func<SecurityEventType, object>? typeValue = null, Func<EventOutcome, object>? outcomeValue = null)
    {
        if (query.Last is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Last, "AuditQuery.Last must be positive.");
        }
        var where = new List<string> { "kind = 'event'" };
        var parameters = new List<KeyValuePair<string, object>>();
        if (query.Type is { } type)
        {
            where.Add("type = @type");
            parameters.Add(new("type", typeValue is null ? SecurityEventJson.TypeName(type) : typeValue(type)));
        }
        if (query.Outcome is { } outcome)
        {
            where.Add("outcome = @outcome");
            parameters.Add(new("outcome", outcomeValue is null ? SecurityEventJson.OutcomeName(outcome) : outcomeValue(outcome)));
            if (outcome != EventOutcome.Success)
            {
                // The partial outcome index's own predicate (AuditTableSql), spelled out so that both planners see the
                // query implies it and use the index; it excludes nothing this query could match.
                var success = outcomeValue is null ? SecurityEventJson.OutcomeName(EventOutcome.Success) : outcomeValue(EventOutcome.Success);
                where.Add(success is string name ? $"outcome <> '{name}'" : $"outcome <> {Convert.ToString(success, System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }
        if (query.Since is { } since)
        {
            where.Add("ts >= @since");
            parameters.Add(new("since", timestamp(since)));
        }
        if (query.Agent is { } agent)
        {
            where.Add("(agent = @agent OR actor = @agent)");
            parameters.Add(new("agent", agent));
        }
        if (query.TraceId is { } trace)
        {
            where.Add("trace_id = @trace");
            parameters.Add(new("trace", trace.ToLowerInvariant()));
        }
        if (query.AfterSeq is { } after)
        {
            where.Add("seq > @after");
            parameters.Add(new("after", after));
        }
        var filter = string.Join(" AND ", where);
        string sql;
        if (query.Last is { } last)
        {
            sql = $"SELECT seq, json FROM (SELECT seq, json FROM {table} WHERE {filter} ORDER BY seq DESC LIMIT @last) AS tail ORDER BY seq";
            parameters.Add(new("last", (long)last));
        }
        else
        {
            sql = $"SELECT seq, json FROM {table} WHERE {filter} ORDER BY seq";
        }
        return (sql, parameters);
    }
}
