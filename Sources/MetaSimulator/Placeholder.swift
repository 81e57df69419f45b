enum _PlaceholderMetaSimulator {}
