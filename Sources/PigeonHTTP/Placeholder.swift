enum _PlaceholderPigeonHTTP {}
