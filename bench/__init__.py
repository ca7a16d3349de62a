"""The wrk/h2load benchmark of the edge against ceilings measured in the same run (`make bench`)."""
