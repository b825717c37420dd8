#include "broadsheet/eval/trec.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace broadsheet::eval {

auto read_qrels(std::istream& in) -> Qrels {
    Qrels qrels;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::istringstream fields(line);
        std::string qid, iteration, docid;
        int relevance = 0;
        if (!(fields >> qid >> iteration >> docid >> relevance))
            throw std::runtime_error("qrels line " + std::to_string(number) + ": expected 'qid 0 docid relevance'");
        qrels[qid][docid] = relevance;
    }
    return qrels;
}

auto read_run(std::istream& in) -> Run {
    Run run;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::istringstream fields(line);
        std::string qid, q0, docid, tag;
        long rank = 0;
        double score = 0;
        if (!(fields >> qid >> q0 >> docid >> rank >> score))
            throw std::runtime_error("run line " + std::to_string(number) + ": expected 'qid Q0 docid rank score tag'");
        run[qid].push_back({docid, score});
    }
    return run;
}

void write_run(std::ostream& out, const Run& run, const std::string& tag) {
    for (const auto& [qid, docs] : run) {
        int rank = 0;
        for (const auto& doc : docs)
            out << qid << " Q0 " << doc.docid << ' ' << ++rank << ' ' << doc.score << ' ' << tag << '\n';
    }
}

auto evaluate_query(std::vector<RankedDoc> ranked, const std::map<std::string, int>& judged) -> Measures {
    // trec_eval's order: score descending, then docid descending (as strings).
    std::stable_sort(ranked.begin(), ranked.end(), [](const RankedDoc& a, const RankedDoc& b) {
        return a.score != b.score ? a.score > b.score : a.docid > b.docid;
    });
    auto relevance_of = [&](const std::string& docid) {
        auto it = judged.find(docid);
        return it == judged.end() ? 0 : it->second;
    };
    std::vector<int> ideal;
    for (const auto& [docid, relevance] : judged)
        if (relevance > 0) ideal.push_back(relevance);
    const auto total_relevant = ideal.size();
    Measures m;
    if (total_relevant == 0) return m;
    std::sort(ideal.rbegin(), ideal.rend());

    double dcg = 0, ideal_dcg = 0, precision_sum = 0;
    std::size_t relevant_seen = 0, relevant_at_10 = 0, relevant_at_100 = 0;
    for (std::size_t i = 0; i < ranked.size(); ++i) {
        auto relevance = relevance_of(ranked[i].docid);
        auto rank = i + 1;
        if (relevance > 0) {
            ++relevant_seen;
            precision_sum += static_cast<double>(relevant_seen) / static_cast<double>(rank);
            if (rank <= 10) ++relevant_at_10;
            if (rank <= 100) ++relevant_at_100;
            if (rank <= 10) dcg += relevance / std::log2(static_cast<double>(rank) + 1);
        }
    }
    for (std::size_t i = 0; i < std::min<std::size_t>(10, ideal.size()); ++i)
        ideal_dcg += ideal[i] / std::log2(static_cast<double>(i) + 2);
    m.ndcg_cut_10 = ideal_dcg > 0 ? dcg / ideal_dcg : 0;
    m.map = precision_sum / static_cast<double>(total_relevant);
    m.p_10 = static_cast<double>(relevant_at_10) / 10.0;
    m.recall_100 = static_cast<double>(relevant_at_100) / static_cast<double>(total_relevant);
    return m;
}

auto evaluate(const Run& run, const Qrels& qrels, bool complete) -> Summary {
    Summary summary;
    for (const auto& [qid, judged] : qrels) {
        bool any_relevant = std::any_of(judged.begin(), judged.end(), [](const auto& j) { return j.second > 0; });
        if (!any_relevant) continue;
        auto it = run.find(qid);
        if (it == run.end() && !complete) continue;
        auto m = it == run.end() ? Measures{} : evaluate_query(it->second, judged);
        summary.mean.ndcg_cut_10 += m.ndcg_cut_10;
        summary.mean.map += m.map;
        summary.mean.p_10 += m.p_10;
        summary.mean.recall_100 += m.recall_100;
        ++summary.queries;
    }
    if (summary.queries > 0) {
        auto n = static_cast<double>(summary.queries);
        summary.mean.ndcg_cut_10 /= n;
        summary.mean.map /= n;
        summary.mean.p_10 /= n;
        summary.mean.recall_100 /= n;
    }
    return summary;
}

}  // namespace broadsheet::eval
