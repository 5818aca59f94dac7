using System.Xml;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// Safe XML reading for UPnP: no DTD (a DOCTYPE is refused, so no entity expansion), no resolver (no
/// external fetch), bounded document size. Every reader returns false on anything malformed.
/// </summary>
internal static class UpnpXml
{
    public const int MaxDocumentChars = 64 * 1024;

    public static XmlReaderSettings Settings { get; } = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxDocumentChars,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };

    /// <summary>Walks a document calling <paramref name="onElementText"/> with (path of local names, text) for leaf elements.</summary>
    public static bool TryWalk(string xml, Action<IReadOnlyList<string>, string> onElementText)
    {
        if (xml.Length > MaxDocumentChars)
        {
            return false;
        }

        var path = new List<string>();
        bool leafOpen = false; // an element started and nothing (text or child) came yet
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), Settings);
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (path.Count > 32)
                        {
                            return false;
                        }

                        path.Add(reader.LocalName);
                        leafOpen = !reader.IsEmptyElement;
                        if (reader.IsEmptyElement)
                        {
                            onElementText(path, string.Empty);
                            path.RemoveAt(path.Count - 1);
                        }

                        break;
                    case XmlNodeType.Text or XmlNodeType.CDATA:
                        leafOpen = false;
                        onElementText(path, reader.Value);
                        break;
                    case XmlNodeType.EndElement:
                        if (leafOpen)
                        {
                            onElementText(path, string.Empty); // <a></a>: an empty value, as <a/> gives
                            leafOpen = false;
                        }

                        if (path.Count > 0)
                        {
                            path.RemoveAt(path.Count - 1);
                        }

                        break;
                }
            }

            return true;
        }
        catch (XmlException)
        {
            return false;
        }
    }
}
