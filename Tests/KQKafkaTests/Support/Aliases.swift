import KQKafka
typealias KafkaClusterFetched = KafkaCluster.FetchedRecords
