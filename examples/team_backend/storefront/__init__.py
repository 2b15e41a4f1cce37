"""Storefront API: catalog, wishlists, carts and orders."""
