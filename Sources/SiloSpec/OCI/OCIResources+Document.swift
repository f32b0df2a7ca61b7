extension OCISpec.Resources {
    /// Reads a resources object on its own, as `update --resources FILE` gets it from podman and
    /// containerd (the shape of config.json's `linux.resources`); errors name `file` and the path.
    public static func parse(_ bytes: [UInt8], file: String) throws(OCIError) -> OCISpec.Resources {
        let doc = try OCINode.document(bytes, file: file)
        _ = try doc.requiredObject()
        return try parse(doc)
    }
}
