using Google.Protobuf;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>Checks the parts every gRPC request shares: write ordering, read consistency, timeouts, batch members' collections.</summary>
internal static class GrpcRequests
{
    /// <summary>
    /// A write's ordering: one node holds the one replica of every point, so weak, medium and strong are all met; an
    /// unknown value is refused.
    /// </summary>
    public static void Check(Proto.WriteOrdering? ordering)
    {
        if (ordering is not null && !Enum.IsDefined(ordering.Type))
        {
            throw new InvalidRequestException($"`ordering.type` {(int)ordering.Type} is not Weak, Medium or Strong.");
        }
    }

    /// <summary>A read's consistency: met by the one replica whatever is asked; a factor must be at least 1.</summary>
    public static void Check(Proto.ReadConsistency? consistency)
    {
        switch (consistency?.ValueCase)
        {
            case Proto.ReadConsistency.ValueOneofCase.Type when !Enum.IsDefined(consistency.Type):
                throw new InvalidRequestException($"`read_consistency.type` {(int)consistency.Type} is not All, Majority or Quorum.");
            case Proto.ReadConsistency.ValueOneofCase.Factor when consistency.Factor < 1:
                throw new InvalidRequestException("`read_consistency.factor` must be at least 1.");
        }
    }

    /// <summary>A read's own time limit in seconds (at least 1), or null.</summary>
    public static ulong? Timeout(bool given, ulong seconds) =>
        !given ? null : seconds >= 1 ? seconds : throw new InvalidRequestException("`timeout` must be a whole number of seconds, at least 1.");

    /// <summary>A batch member names the batch's collection, or none.</summary>
    public static void SameCollection(string member, string batch, string path)
    {
        if (member.Length > 0 && member != batch)
        {
            throw new InvalidRequestException($"`{path}` is \"{member}\", but the batch is for \"{batch}\": a batch searches one collection.");
        }
    }

    /// <summary>Refuses a field that is set, with why.</summary>
    public static void Refuse(IMessage? field, string path, string reason)
    {
        if (field is not null)
        {
            throw new InvalidRequestException($"`{path}` is not supported: {reason}.");
        }
    }
}
