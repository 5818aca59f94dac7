namespace Inroad.Sessions.Noise;

/// <summary>
/// A handshake pattern: pre-messages and message token lists (Noise §7), with psk modifiers applied (§9.2).
/// Patterns are data; <see cref="HandshakeState"/> interprets them.
/// </summary>
internal sealed class NoisePattern
{
    private static readonly Dictionary<string, NoisePattern> Base = BuildTable();

    private NoisePattern(string name, NoiseToken[] initiatorPre, NoiseToken[] responderPre, NoiseToken[][] messages)
    {
        Name = name;
        InitiatorPreMessage = initiatorPre;
        ResponderPreMessage = responderPre;
        Messages = messages;
    }

    /// <summary>The pattern name including modifiers, e.g. <c>XKpsk3</c>.</summary>
    public string Name { get; }

    /// <summary>Tokens the responder knows of the initiator before the handshake (<c>-&gt; s</c> / <c>-&gt; e</c>).</summary>
    public NoiseToken[] InitiatorPreMessage { get; }

    /// <summary>Tokens the initiator knows of the responder before the handshake (<c>&lt;- s</c>).</summary>
    public NoiseToken[] ResponderPreMessage { get; }

    /// <summary>Message i is sent by the initiator when i is even.</summary>
    public NoiseToken[][] Messages { get; }

    /// <summary>True for the one-way patterns N, K, X (Noise §7.4): only the initiator sends.</summary>
    public bool IsOneWay => Messages.Length == 1;

    /// <summary>True when the pattern carries at least one psk token.</summary>
    public bool HasPsk => Messages.Any(m => m.Contains(NoiseToken.Psk));

    /// <summary>Parses <c>XK</c>, <c>XKpsk3</c>, <c>XXpsk0+psk1</c> (names as they appear in protocol names).</summary>
    public static bool TryParse(string name, out NoisePattern? pattern)
    {
        pattern = null;
        int i = 0;
        while (i < name.Length && char.IsUpper(name[i]))
        {
            i++;
        }

        if (!Base.TryGetValue(name[..i], out NoisePattern? basePattern))
        {
            return false;
        }

        string modifiers = name[i..];
        var messages = basePattern.Messages.Select(m => m.ToList()).ToList();
        if (modifiers.Length > 0)
        {
            foreach (string modifier in modifiers.Split('+'))
            {
                if (!modifier.StartsWith("psk", StringComparison.Ordinal) ||
                    !int.TryParse(modifier.AsSpan(3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ||
                    n > messages.Count)
                {
                    return false;
                }

                // §9.2: psk0 goes at the start of the first message; pskN at the end of message N.
                if (n == 0)
                {
                    messages[0].Insert(0, NoiseToken.Psk);
                }
                else
                {
                    messages[n - 1].Add(NoiseToken.Psk);
                }
            }
        }

        pattern = new NoisePattern(name, basePattern.InitiatorPreMessage, basePattern.ResponderPreMessage, messages.Select(m => m.ToArray()).ToArray());
        return true;
    }

    private static Dictionary<string, NoisePattern> BuildTable()
    {
        const NoiseToken e = NoiseToken.E, s = NoiseToken.S, ee = NoiseToken.EE, es = NoiseToken.ES, se = NoiseToken.SE, ss = NoiseToken.SS;
        NoiseToken[] none = [];
        var table = new Dictionary<string, NoisePattern>(StringComparer.Ordinal);
        void Add(string n, NoiseToken[] ipre, NoiseToken[] rpre, params NoiseToken[][] msgs) => table[n] = new NoisePattern(n, ipre, rpre, msgs);

        // One-way patterns (§7.4).
        Add("N", none, [s], [e, es]);
        Add("K", [s], [s], [e, es, ss]);
        Add("X", none, [s], [e, es, s, ss]);

        // Interactive fundamental patterns (§7.5).
        Add("NN", none, none, [e], [e, ee]);
        Add("NK", none, [s], [e, es], [e, ee]);
        Add("NX", none, none, [e], [e, ee, s, es]);
        Add("KN", [s], none, [e], [e, ee, se]);
        Add("KK", [s], [s], [e, es, ss], [e, ee, se]);
        Add("KX", [s], none, [e], [e, ee, se, s, es]);
        Add("XN", none, none, [e], [e, ee], [s, se]);
        Add("XK", none, [s], [e, es], [e, ee], [s, se]);
        Add("XX", none, none, [e], [e, ee, s, es], [s, se]);
        Add("IN", none, none, [e, s], [e, ee, se]);
        Add("IK", none, [s], [e, es, s, ss], [e, ee, se]);
        Add("IX", none, none, [e, s], [e, ee, se, s, es]);
        return table;
    }
}
