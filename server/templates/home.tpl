{{%AUTOESCAPE context="HTML"}}
{{! The empty search box: what the index holds, and each facet's values to browse by. }}
<main role="main" class="home">
<h1 class="visually-hidden">{{SITE}} search</h1>
<p class="lead">Search {{DOCUMENTS}} articles: words, "exact phrases", AND / OR / NOT, title:word, tag:name, date:2014, prefix*.</p>
{{#FACET}}
<section class="browse facet-{{NAME}}" aria-labelledby="browse-{{NAME}}"><h2 id="browse-{{NAME}}">Browse by {{NOUN}}</h2>
{{#FLAT}}<ul class="values">{{#VALUE}}<li><a href="{{URL}}">{{TEXT}}</a> <span class="count">{{COUNT}}</span></li>{{/VALUE}}</ul>{{/FLAT}}
{{#DECADES}}<ul class="decades">{{#DECADE}}<li><details><summary>{{LABEL}} <span class="count">{{COUNT}}</span></summary>
<ul class="values"><li><a href="{{URL}}">All of the {{LABEL}}</a></li>{{#VALUE}}<li><a href="{{URL}}">{{TEXT}}</a> <span class="count">{{COUNT}}</span></li>{{/VALUE}}</ul>
</details></li>{{/DECADE}}</ul>{{/DECADES}}
</section>
{{/FACET}}
</main>
