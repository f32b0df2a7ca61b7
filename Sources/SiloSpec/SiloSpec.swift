// SiloSpec: OCI config/state types (pure Swift). Empty for now; a target needs one source file.
