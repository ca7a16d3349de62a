"""The reference servers the edge is measured against, on the edge's own Granian options."""
