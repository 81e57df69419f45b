import Foundation

/// Loading operator overrides of the classification table from a JSON file.
///
/// The file maps codes to a rule or a list of rules:
/// `{"131000": {"class": "permanent", "title": "Something went wrong"},
///   "100": [{"class": "media", "title": "Invalid parameter", "details_contains": "media"}, {"class": "permanent", "title": "Invalid parameter"}]}`
extension ErrorTable {
    /// An error in an overrides file, naming what to fix.
    public struct OverrideError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses overrides from JSON data.
    public static func overrides(fromJSON data: Data) throws -> [Int: [ErrorRule]] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw OverrideError(description: "the file is not valid JSON: \(error.localizedDescription)")
        }
        guard let map = object as? [String: Any] else {
            throw OverrideError(description: "the file must be a JSON object mapping error codes to rules")
        }
        var result: [Int: [ErrorRule]] = [:]
        let decoder = JSONDecoder()
        for (key, value) in map {
            guard let code = Int(key) else {
                throw OverrideError(description: "key \"\(key)\" is not an error code (a whole number)")
            }
            let list = (value as? [Any]) ?? [value]
            do {
                let json = try JSONSerialization.data(withJSONObject: list)
                result[code] = try decoder.decode([ErrorRule].self, from: json)
            } catch {
                let classes = ErrorClass.allCases.map(\.rawValue).joined(separator: ", ")
                throw OverrideError(
                    description:
                        "code \(code): each rule needs \"class\" (one of \(classes)) and \"title\"; optional \"details_contains\""
                )
            }
        }
        return result
    }
}
