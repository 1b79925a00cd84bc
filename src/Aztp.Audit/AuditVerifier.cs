using Aztp.Audit.Internal;

namespace Aztp.Audit;

/// <summary>
/// Verifies an audit chain offline: contiguous seqs, every hash recomputed, every link, every checkpoint's coverage,
/// signature and (with trust anchors) certificate chain, and that the store ends with a checkpoint. Reports the first
/// break and how the store was tampered with (docs/audit.md, "Verification").
/// </summary>
public static class AuditVerifier
{
    /// <summary>Verifies every record of a store.</summary>
    /// <exception cref="AuditStoreException">The store cannot be read at all.</exception>
    public static async Task<AuditVerificationResult> VerifyAsync(IAuditReader reader, AuditVerifyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= new AuditVerifyOptions();
        using var trust = new CheckpointTrust(options.TrustAnchors, options.FederatedAnchors);
        var signers = new SortedSet<string>(StringComparer.Ordinal);
        long position = 0, records = 0, events = 0, checkpoints = 0, firstSeq = 0, lastSeq = 0, lastCheckpointSeq = 0;
        // The last good record: its hash (well formed, as every accepted record's is) and kind.
        var lastHash = default(Hash256);
        AuditRecordKind? lastKind = null;
        AuditBreak? broken = null;
        var e = ChainLinkSource.Open(reader, cancellationToken);
        await using (e.ConfigureAwait(false))
        {
            while (true)
            {
                ChainLink r;
                try
                {
                    if (!await e.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                    r = e.Current;
                }
                catch (AuditStoreException ex) when (ex.Position is not null)
                {
                    broken = ex.IsTornTail
                        ? new AuditBreak(AuditBreakKind.Truncated, lastSeq + 1, ex.Position.Value, ex.Message)
                        : new AuditBreak(AuditBreakKind.Edited, lastSeq + 1, ex.Position.Value, ex.Message);
                    break;
                }
                position++;
                if (lastKind is null)
                {
                    broken = CheckFirst(r, position);
                }
                else
                {
                    var expected = lastSeq + 1;
                    if (r.Seq > expected)
                    {
                        var seq = r.Seq;
                        var later = await AnyLaterAsync(e, x => x.Seq >= expected && x.Seq < seq).ConfigureAwait(false);
                        broken = later
                            ? new AuditBreak(AuditBreakKind.Reordered, r.Seq, position,
                                $"record {r.Seq} comes right after record {lastSeq}; record {expected} appears later: records were reordered.")
                            : new AuditBreak(AuditBreakKind.Deleted, expected, position,
                                r.Seq == expected + 1
                                    ? $"record {expected} is missing (record {r.Seq} follows record {lastSeq})."
                                    : $"records {expected}..{r.Seq - 1} are missing (record {r.Seq} follows record {lastSeq}).");
                    }
                    else if (r.Seq < expected)
                    {
                        broken = new AuditBreak(AuditBreakKind.Inserted, r.Seq, position,
                            $"a second record with seq {r.Seq} follows record {lastSeq}: a record was inserted.");
                    }
                    else if (!r.HashValid || !r.LinksTo(lastHash))
                    {
                        broken = await ClassifyAsync(e, r, position, lastSeq, lastHash).ConfigureAwait(false);
                    }
                }
                if (broken is null && r.Kind == AuditRecordKind.Checkpoint)
                {
                    broken = CheckCheckpoint(r.Record!, position, trust, signers);
                    if (broken is null)
                    {
                        checkpoints++;
                        lastCheckpointSeq = r.Seq;
                    }
                }
                if (broken is not null)
                {
                    break;
                }
                if (lastKind is null)
                {
                    firstSeq = r.Seq;
                }
                records++;
                if (r.Kind == AuditRecordKind.Event)
                {
                    events++;
                }
                lastSeq = r.Seq;
                lastHash = r.Hash;
                lastKind = r.Kind;
            }
        }
        if (broken is null && lastKind is not null && options.RequireSealedTail && lastKind != AuditRecordKind.Checkpoint)
        {
            var from = Math.Max(lastCheckpointSeq + 1, firstSeq);
            broken = new AuditBreak(AuditBreakKind.Truncated, from, position,
                lastCheckpointSeq == 0
                    ? $"no checkpoint covers records {from}..{lastSeq}: the trail was truncated, written without a signer, or its writer did not shut down cleanly."
                    : $"records {from}..{lastSeq} follow the last checkpoint (seq {lastCheckpointSeq}) and no checkpoint covers them: the trail was truncated after the last checkpoint, or its writer did not shut down cleanly.");
        }
        return new AuditVerificationResult
        {
            Break = broken,
            Records = records,
            Events = events,
            Checkpoints = checkpoints,
            FirstSeq = firstSeq,
            LastSeq = lastSeq,
            LastCheckpointSeq = lastCheckpointSeq,
            LastHash = lastKind is null ? null : lastHash.ToString(),
            TrustChecked = trust.HasAnchors,
            Signers = [.. signers],
        };
    }

    /// <summary>Opens a store by location (see <see cref="AuditStore.OpenReaderAsync"/>) and verifies it.</summary>
    public static async Task<AuditVerificationResult> VerifyAsync(string location, AuditVerifyOptions? options = null, CancellationToken cancellationToken = default)
    {
        var reader = await AuditStore.OpenReaderAsync(location, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await VerifyAsync(reader, options, cancellationToken).ConfigureAwait(false);
        }
    }

    private static AuditBreak? CheckFirst(in ChainLink r, long position)
    {
        var hashOk = r.HashValid;
        if (r.Seq == 1)
        {
            if (!r.LinksTo(default))
            {
                return new AuditBreak(AuditBreakKind.Edited, 1, position, "record 1 does not start from the genesis hash.");
            }
            return hashOk ? null : new AuditBreak(AuditBreakKind.Edited, 1, position, "record 1's hash does not match its content: it was edited.");
        }
        if (r.Kind == AuditRecordKind.Checkpoint && r.Seq > 1)
        {
            // A retention cut or a rotated file starts at a checkpoint; CheckCheckpoint proves it covers what came before.
            return hashOk ? null : new AuditBreak(AuditBreakKind.Edited, r.Seq, position, $"record {r.Seq}'s hash does not match its content: it was edited.");
        }
        return new AuditBreak(AuditBreakKind.Deleted, 1, position,
            $"the store starts at record {r.Seq}, neither at record 1 nor at a checkpoint: records before it were deleted.");
    }

    private static async Task<AuditBreak> ClassifyAsync(ChainLinkSource e, ChainLink r, long position, long lastSeq, Hash256 lastHash)
    {
        var next = await TryNextAsync(e).ConfigureAwait(false);
        if (next is { } n && n.Seq == r.Seq && n.LinksTo(lastHash) && n.HashValid)
        {
            return new AuditBreak(AuditBreakKind.Inserted, r.Seq, position,
                $"the record at position {position} does not belong to the chain: the record after it continues from record {lastSeq}. A record was inserted.");
        }
        if (!r.HashValid)
        {
            return new AuditBreak(AuditBreakKind.Edited, r.Seq, position, $"record {r.Seq}'s hash does not match its content: it was edited.");
        }
        var successorLater = next is { } m && (m.LinksTo(lastHash)
            || await AnyLaterAsync(e, x => x.LinksTo(lastHash)).ConfigureAwait(false));
        if (successorLater)
        {
            return new AuditBreak(AuditBreakKind.Reordered, r.Seq, position,
                $"the record stored as seq {r.Seq} is not the successor of record {lastSeq}; that successor is stored later: records were reordered.");
        }
        return new AuditBreak(AuditBreakKind.Edited, lastSeq, position - 1,
            $"record {r.Seq} does not link to record {lastSeq}: record {lastSeq} was edited and its hash recomputed (or record {r.Seq}'s link was).");
    }

    private static AuditBreak? CheckCheckpoint(AuditRecord r, long position, CheckpointTrust trust, SortedSet<string> signers)
    {
        AuditCheckpoint checkpoint;
        try
        {
            checkpoint = r.ReadCheckpoint();
        }
        catch (FormatException ex)
        {
            return new AuditBreak(AuditBreakKind.InvalidCheckpoint, r.Seq, position, $"checkpoint {r.Seq} is malformed: {ex.Message}");
        }
        if (checkpoint.CoveredSeq != r.Seq - 1 || !string.Equals(checkpoint.CoveredHash, r.PrevHash, StringComparison.Ordinal))
        {
            return new AuditBreak(AuditBreakKind.InvalidCheckpoint, r.Seq, position,
                $"checkpoint {r.Seq} covers seq {checkpoint.CoveredSeq} with another hash than the record before it.");
        }
        if (trust.Check(checkpoint) is { } failure)
        {
            return new AuditBreak(failure.Kind, r.Seq, position, $"checkpoint {r.Seq} is not valid: {failure.Reason}.");
        }
        signers.Add(checkpoint.SpiffeId);
        return null;
    }

    private static async Task<ChainLink?> TryNextAsync(ChainLinkSource e)
    {
        try
        {
            return await e.MoveNextAsync().ConfigureAwait(false) ? e.Current : null;
        }
        catch (AuditStoreException)
        {
            return null;
        }
    }

    private static async Task<bool> AnyLaterAsync(ChainLinkSource e, Func<ChainLink, bool> predicate)
    {
        while (await TryNextAsync(e).ConfigureAwait(false) is { } link)
        {
            if (predicate(link))
            {
                return true;
            }
        }
        return false;
    }
}
